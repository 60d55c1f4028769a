package io.kvpipe.node.meta;

import io.kvpipe.common.topology.MetaState;
import io.kvpipe.common.topology.TopologyCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The on-disk form of a meta snapshot: an 8-byte magic, the payload length, its CRC32C, then the {@link MetaState} as
 * JSON. Written to a temporary file, fsynced and renamed, so a crash never leaves a half-written snapshot under the
 * final name; read back only if the checksum matches, so a corrupt file is reported instead of loaded.
 */
final class MetaSnapshotFile {
  private static final byte[] MAGIC = "KVMETA1\n".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER = MAGIC.length + Integer.BYTES + Long.BYTES;

  private MetaSnapshotFile() {}

  static void write(Path file, MetaState state) throws IOException {
    byte[] payload = TopologyCodec.encode(state);
    CRC32C crc = new CRC32C();
    crc.update(payload);
    ByteBuffer buf = ByteBuffer.allocate(HEADER + payload.length);
    buf.put(MAGIC).putInt(payload.length).putLong(crc.getValue()).put(payload).flip();
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  static MetaState read(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    if (all.length < HEADER || !Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new IOException("meta snapshot " + file + " has no valid header");
    }
    ByteBuffer buf = ByteBuffer.wrap(all, MAGIC.length, HEADER - MAGIC.length);
    int length = buf.getInt();
    long expected = buf.getLong();
    if (length < 0 || length != all.length - HEADER) {
      throw new IOException("meta snapshot " + file + " is truncated: header says " + length + " bytes, file has "
          + (all.length - HEADER));
    }
    CRC32C crc = new CRC32C();
    crc.update(all, HEADER, length);
    if (crc.getValue() != expected) {
      throw new IOException("meta snapshot " + file + " fails its checksum");
    }
    try {
      return TopologyCodec.decode(Arrays.copyOfRange(all, HEADER, all.length), MetaState.class);
    } catch (RuntimeException e) {
      throw new IOException("meta snapshot " + file + " does not decode: " + e.getMessage(), e);
    }
  }
}
