package io.kvpipe.consumer;

import io.kvpipe.common.event.ChangeEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * The changelog's fast path: {@code LOAD DATA LOCAL INFILE}, cheaper than multi-row INSERTs on both sides (no
 * per-parameter binding in the driver, a plain tab-separated parse in the server; issue 15 has the figures). The driver may send local files only from {@link #directory()}, a directory private to
 * this process (allowLoadLocalInfileInPath; Connector/J then reads the named file, not an input stream), so a hostile
 * server cannot ask for any other file. Each writer thread has its own file there, written for one load, removed after.
 * {@code LOCAL} implies {@code IGNORE}: a duplicate identity or a value the column cannot hold becomes a warning
 * instead of an error, so the caller accepts a load only when every row went in without one, and otherwise writes the
 * batch again with the exact INSERT.
 */
final class ChangelogLoad {
  /** Bounds the memory one load takes (the file's bytes are built in memory first). */
  static final long MAX_LOAD_BYTES = 32L << 20;

  private static volatile Path directory;
  private static final ThreadLocal<Path> FILE = ThreadLocal.withInitial(() -> {
    Path f = directory().resolve("changelog-" + Thread.currentThread().threadId() + ".tsv");
    f.toFile().deleteOnExit(); // registered after the directory, so removed before it
    return f;
  });

  private ChangelogLoad() {}

  /** The only directory the driver may send local files from: made once per process, removed at exit. */
  static Path directory() {
    Path d = directory;
    if (d == null) {
      synchronized (ChangelogLoad.class) {
        d = directory;
        if (d == null) {
          try {
            d = Files.createTempDirectory("kvpipe-load-"); // owner-only on POSIX
          } catch (IOException e) {
            throw new UncheckedIOException("cannot create the private directory for LOAD DATA LOCAL", e);
          }
          d.toFile().deleteOnExit();
          directory = d;
        }
      }
    }
    return d;
  }

  /**
   * The driver property that lets LOAD DATA LOCAL read {@link #directory()} and nothing else; none when the directory
   * cannot be made (a read-only temp dir): the driver then offers no local files, and the writer falls back to INSERTs.
   */
  static Map<String, String> driverProperties() {
    try {
      return Map.of("allowLoadLocalInfileInPath", directory().toString());
    } catch (UncheckedIOException e) {
      LoggerFactory.getLogger(ChangelogLoad.class).warn("{}: the changelog will be written with INSERTs",
          e.getMessage() + ": " + e.getCause());
      return Map.of();
    }
  }

  /** Writes the rows to this thread's file and returns the statement that loads it. */
  static String prepare(List<ArchiveEvent> events) throws IOException {
    Path file = FILE.get();
    Files.write(file, rows(events)); // the page cache's business: nothing here needs to survive a crash
    return "LOAD DATA LOCAL INFILE '" + file.toString().replace("\\", "\\\\").replace("'", "\\'")
        + "' IGNORE INTO TABLE kv_changelog CHARACTER SET binary"
        + " FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'"
        + " (group_id, log_index, event_seq, txn_id, op, kv_key, kv_value, prev_value, version, term, epoch, origin,"
        + " event_time)"
        + " SET consumed_at = UTC_TIMESTAMP(3)";
  }

  /** Removes this thread's file once loaded, so that rows do not linger on disk (and a killed process leaves none). */
  static void clear() {
    try {
      Files.deleteIfExists(FILE.get());
    } catch (IOException e) {
      // Overwritten by the next load anyway.
    }
  }

  /** The rows as the statement reads them: tab-separated fields, one line per event, binary-safe. */
  static byte[] rows(List<ArchiveEvent> events) {
    Buffer out = new Buffer(events.size() * 320);
    for (ArchiveEvent a : events) {
      ChangeEvent e = a.event();
      out.text(e.group()).tab();
      out.number(e.logIndex()).tab();
      out.number(e.seq()).tab();
      out.field(e.txnId() == null ? null : e.txnId().getBytes(java.nio.charset.StandardCharsets.US_ASCII)).tab();
      out.text(e.op().code()).tab();
      out.field(a.key()).tab();
      out.field(e.after()).tab();
      out.field(e.before()).tab();
      out.number(e.version()).tab();
      out.number(e.term()).tab();
      out.number(e.epoch()).tab();
      out.text(e.origin().code()).tab();
      out.text(SqlTime.utc(e.tsMs())).put((byte) '\n');
    }
    return out.bytes();
  }

  /** Upper bound of one event's bytes in {@link #rows}: every data byte may need an escape. */
  static long bytesOf(ArchiveEvent a) {
    return 2L * (a.key().length + size(a.event().after()) + size(a.event().before())) + 160;
  }

  /**
   * The rows' bytes, built without ByteArrayOutputStream's per-byte locking: this loop is the consumer's hottest
   * client code once the changelog is loaded (a profile of the benchmark put it at about a third of the writer's CPU).
   */
  static final class Buffer {
    private byte[] buf;
    private int size;

    Buffer(int capacity) {
      buf = new byte[Math.max(64, capacity)];
    }

    private void ensure(int more) {
      if (size + more > buf.length) {
        buf = Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 8, Math.max((long) buf.length * 2, size + more)));
      }
    }

    Buffer put(byte b) {
      ensure(1);
      buf[size++] = b;
      return this;
    }

    Buffer tab() {
      return put((byte) '\t');
    }

    /** One field, escaped: NULL is {@code \N}; tab, newline, backslash and NUL are backslash sequences. */
    Buffer field(byte[] v) {
      if (v == null) {
        ensure(2);
        buf[size++] = '\\';
        buf[size++] = 'N';
        return this;
      }
      ensure(v.length);
      int run = 0; // start of the bytes not copied yet
      for (int i = 0; i < v.length; i++) {
        byte code = switch (v[i]) {
          case '\t' -> 't';
          case '\n' -> 'n';
          case '\\' -> '\\';
          case 0 -> '0';
          default -> -1;
        };
        if (code >= 0) {
          copy(v, run, i);
          ensure(2 + v.length - i);
          buf[size++] = '\\';
          buf[size++] = code;
          run = i + 1;
        }
      }
      copy(v, run, v.length);
      return this;
    }

    private void copy(byte[] v, int from, int to) {
      ensure(to - from);
      System.arraycopy(v, from, buf, size, to - from);
      size += to - from;
    }

    /** ASCII text that needs no escape (validated group ids, op and origin codes, times); escaped if it did. */
    Buffer text(String s) {
      ensure(s.length());
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c < 0x20 || c == '\\' || c > 0x7e) {
          return field(s.getBytes(StandardCharsets.UTF_8)); // never for what the decoder let through
        }
      }
      for (int i = 0; i < s.length(); i++) {
        buf[size++] = (byte) s.charAt(i);
      }
      return this;
    }

    Buffer number(long n) {
      if (n < 0) {
        return text(Long.toString(n));
      }
      ensure(20);
      int digits = 1;
      for (long t = n / 10; t > 0; t /= 10) {
        digits++;
      }
      for (int i = size + digits - 1; i >= size; i--) {
        buf[i] = (byte) ('0' + n % 10);
        n /= 10;
      }
      size += digits;
      return this;
    }

    byte[] bytes() {
      return Arrays.copyOf(buf, size);
    }
  }

  private static long size(byte[] b) {
    return b == null ? 0 : b.length;
  }
}
