package io.kvpipe.kvctl.backup;

import io.kvpipe.common.Limits;
import io.kvpipe.common.Ttl;
import io.kvpipe.common.wire.Entry;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * One group's records in a backup: a magic header, then per live record {@code 1, key length, key, version, value
 * length, value}, or for a record with a time to live {@code 2, key length, key, version, deadline (epoch ms), value
 * length, value} (big-endian), in strictly increasing unsigned key order, then {@code 0, record count}. Every byte is
 * covered by the SHA-256 the manifest records. The end marker with its count makes a truncated file detectable even
 * without the manifest; the key order makes a repeated key one.
 */
public final class GroupDataFile {
  static final byte[] MAGIC = "KVPBAK01".getBytes(StandardCharsets.US_ASCII);
  private static final int RECORD = 1;
  private static final int RECORD_WITH_TTL = 2;
  private static final int END = 0;

  private GroupDataFile() {}

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** Writes records in key order; {@link #finish} seals the file and gives its checksum. */
  public static final class Writer implements AutoCloseable {
    private final MessageDigest digest = sha256();
    private final DataOutputStream out;
    private byte[] lastKey;
    private long count;
    private long bytes;
    private boolean finished;

    public Writer(Path file) throws IOException {
      OutputStream raw = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      this.out = new DataOutputStream(new BufferedOutputStream(new DigestOutputStream(raw, digest), 1 << 16));
      out.write(MAGIC);
    }

    public void write(Entry e) throws IOException {
      if (e.value() == null) {
        throw new IllegalArgumentException("a backup holds live records only");
      }
      if (lastKey != null && Arrays.compareUnsigned(lastKey, e.key()) >= 0) {
        throw new IllegalArgumentException("records must come in strictly increasing key order");
      }
      out.writeByte(e.hasTtl() ? RECORD_WITH_TTL : RECORD);
      out.writeInt(e.key().length);
      out.write(e.key());
      out.writeLong(e.version());
      if (e.hasTtl()) {
        out.writeLong(e.expiresAtMs());
      }
      out.writeInt(e.value().length);
      out.write(e.value());
      lastKey = e.key();
      count++;
      bytes += e.key().length + e.value().length;
    }

    public long count() {
      return count;
    }

    /** Key and value bytes written so far. */
    public long bytes() {
      return bytes;
    }

    /** Writes the end marker, flushes to disk and returns the file's SHA-256 (hex). */
    public String finish() throws IOException {
      out.writeByte(END);
      out.writeLong(count);
      out.flush();
      finished = true;
      out.close();
      return HexFormat.of().formatHex(digest.digest());
    }

    @Override
    public void close() throws IOException {
      if (!finished) {
        out.close();
      }
    }
  }

  /** What a complete read of a file found. */
  public record Summary(long records, long bytes, String sha256) {}

  /** Receives each record of a file as it is read. */
  @FunctionalInterface
  public interface Sink {
    void accept(Entry e) throws Exception;
  }

  /**
   * Reads {@code file} whole, handing each record to {@code sink}, and checks it on the way: magic, field bounds (keys
   * 1..{@value Limits#MAX_KEY_BYTES} bytes, values within the hard cap), key order, end marker, record count and
   * nothing after it. The checksum is only known at the end: a caller that must not act on a corrupt file verifies
   * it with a first read (sink doing nothing) before acting.
   */
  public static Summary read(Path file, Sink sink) throws BackupFormatException {
    MessageDigest digest = sha256();
    try (InputStream raw = Files.newInputStream(file);
         DataInputStream in = new DataInputStream(new BufferedInputStream(new DigestInputStream(raw, digest), 1 << 16))) {
      byte[] magic = new byte[MAGIC.length];
      in.readFully(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new BackupFormatException(file + " is not a kvpipe backup data file (bad header)");
      }
      byte[] lastKey = null;
      long count = 0;
      long bytes = 0;
      while (true) {
        int tag = in.readUnsignedByte();
        if (tag == END) {
          long declared = in.readLong();
          if (declared != count) {
            throw new BackupFormatException(file + ": end marker says " + declared + " records, found " + count);
          }
          if (in.read() != -1) {
            throw new BackupFormatException(file + ": bytes after the end marker");
          }
          return new Summary(count, bytes, HexFormat.of().formatHex(digest.digest()));
        }
        if (tag != RECORD && tag != RECORD_WITH_TTL) {
          throw new BackupFormatException(file + ": unknown record tag " + tag + " after record " + count);
        }
        byte[] key = readBytes(in, 1, Limits.MAX_KEY_BYTES, file, "key", count);
        long version = in.readLong();
        long expiresAt = tag == RECORD_WITH_TTL ? in.readLong() : Ttl.NONE;
        if (tag == RECORD_WITH_TTL && expiresAt <= 0) {
          throw new BackupFormatException(file + ": record " + count + " has a bad deadline " + expiresAt);
        }
        byte[] value = readBytes(in, 0, Limits.HARD_MAX_VALUE_BYTES, file, "value", count);
        if (lastKey != null && Arrays.compareUnsigned(lastKey, key) >= 0) {
          throw new BackupFormatException(file + ": record " + count + " is out of key order (or repeats a key)");
        }
        if (version <= 0) {
          throw new BackupFormatException(file + ": record " + count + " has no valid version");
        }
        Entry e = new Entry(key, value, version, expiresAt);
        try {
          sink.accept(e);
        } catch (BackupFormatException | RuntimeException passOn) {
          throw passOn;
        } catch (Exception other) {
          throw new BackupFormatException(file + ": handling record " + count + " failed: " + other, other);
        }
        lastKey = key;
        count++;
        bytes += key.length + value.length;
      }
    } catch (NoSuchFileException e) {
      throw new BackupFormatException(file + " is missing");
    } catch (EOFException e) {
      throw new BackupFormatException(file + " is truncated (no end marker)", e);
    } catch (IOException e) {
      throw new BackupFormatException("cannot read " + file + ": " + e, e);
    }
  }

  private static byte[] readBytes(DataInputStream in, int min, int max, Path file, String what, long index)
      throws IOException, BackupFormatException {
    int n = in.readInt();
    if (n < min || n > max) {
      throw new BackupFormatException(file + ": record " + index + " has a " + what + " of " + n + " bytes (allowed "
          + min + ".." + max + ")");
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }
}
