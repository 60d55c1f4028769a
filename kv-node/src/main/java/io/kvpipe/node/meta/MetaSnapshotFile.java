package io.kvpipe.node.meta;

import io.kvpipe.common.topology.MetaState;
import io.kvpipe.common.topology.TopologyCodec;
import io.kvpipe.node.raft.AppliedCalls;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The on-disk form of a meta snapshot: an 8-byte magic, the payload length, its CRC32C, then the payload. Written to a
 * temporary file, fsynced and renamed, so a crash never leaves a half-written snapshot under the final name; read
 * back only if the checksum matches, so a corrupt file is reported instead of loaded.
 *
 * <p>Formats, by magic: {@code KVMETA1} (payload: the {@link MetaState} as JSON), {@code KVMETA2} (payload: the
 * JSON's length and the JSON, the meta log's time, the calls applied within the last two minutes in
 * {@link AppliedCalls}'s snapshot form, the one shard snapshots use, then the log index from which every replica
 * remembers them, {@link AppliedCalls#knownFrom}) and {@code KVMETA3} (KVMETA2's layout, that index taken from the log
 * alone: the index of the log's first marker). All are read. A {@code KVMETA1} snapshot, written before the meta
 * group kept its calls, loads with no calls remembered and the topology's update time as the log time; a
 * {@code KVMETA2} snapshot loads its calls, but its index may say 0 for a state that began empty while replicas that
 * loaded KVMETA1 never learnt the calls before theirs. Both load as not known from where
 * ({@link AppliedCalls#UNKNOWN}); the group's leader then logs a marker, which every replica counts alike.
 */
final class MetaSnapshotFile {
  private static final byte[] MAGIC_STATE_ONLY = "KVMETA1\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MAGIC_CALLS_KNOWN_FROM_0 = "KVMETA2\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MAGIC = "KVMETA3\n".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER = MAGIC.length + Integer.BYTES + Long.BYTES;

  /**
   * What a meta snapshot holds: the state, the calls applied within the window and from which index every replica
   * remembers them ({@link AppliedCalls#knownFrom}), and the log time.
   */
  record Loaded(MetaState state, List<AppliedCalls.Applied> calls, long callsKnownFrom, long logTimeMs) {
    Loaded {
      calls = List.copyOf(calls);
    }
  }

  private MetaSnapshotFile() {}

  static void write(Path file, Loaded snapshot) throws IOException {
    byte[] json = TopologyCodec.encode(snapshot.state());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(json.length + 64);
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(json.length);
    out.write(json);
    out.writeLong(snapshot.logTimeMs());
    AppliedCalls.write(out, snapshot.calls());
    out.writeLong(snapshot.callsKnownFrom());
    out.flush();
    writeFile(file, MAGIC, bytes.toByteArray());
  }

  /** Writes {@code payload} under {@code magic}, checksummed (package-private for tests of older formats). */
  static void writeFile(Path file, byte[] magic, byte[] payload) throws IOException {
    CRC32C crc = new CRC32C();
    crc.update(payload);
    ByteBuffer buf = ByteBuffer.allocate(HEADER + payload.length);
    buf.put(magic).putInt(payload.length).putLong(crc.getValue()).put(payload).flip();
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

  static Loaded read(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    boolean stateOnly = all.length >= HEADER && Arrays.equals(all, 0, MAGIC.length, MAGIC_STATE_ONLY, 0,
        MAGIC.length);
    boolean kvmeta2 = all.length >= HEADER && Arrays.equals(all, 0, MAGIC.length, MAGIC_CALLS_KNOWN_FROM_0, 0,
        MAGIC.length);
    if (all.length < HEADER || !(stateOnly || kvmeta2
        || Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length))) {
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
      if (stateOnly) {
        MetaState state = decode(file, Arrays.copyOfRange(all, HEADER, all.length));
        return new Loaded(state, List.of(), AppliedCalls.UNKNOWN, state.topology().updatedAtMs());
      }
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(all, HEADER, length));
      int jsonLength = in.readInt();
      if (jsonLength < 0 || jsonLength > length) {
        throw new IOException("meta snapshot " + file + " has a state of " + jsonLength + " bytes in " + length);
      }
      MetaState state = decode(file, in.readNBytes(jsonLength));
      long logTimeMs = in.readLong();
      List<AppliedCalls.Applied> calls = AppliedCalls.read(in);
      long knownFrom = in.readLong();
      if (in.available() != 0) {
        throw new IOException("meta snapshot " + file + " has " + in.available() + " bytes after its calls");
      }
      return new Loaded(state, calls, kvmeta2 ? AppliedCalls.UNKNOWN : knownFrom, logTimeMs);
    } catch (java.io.EOFException e) {
      throw new IOException("meta snapshot " + file + " ends early: " + e, e);
    }
  }

  private static MetaState decode(Path file, byte[] json) throws IOException {
    try {
      return TopologyCodec.decode(json, MetaState.class);
    } catch (RuntimeException e) {
      throw new IOException("meta snapshot " + file + " does not decode: " + e.getMessage(), e);
    }
  }
}
