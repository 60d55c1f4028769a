package io.kvpipe.consumer;

import io.kvpipe.common.event.ChangeEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
        + " (group_id, log_index, event_seq, op, kv_key, kv_value, prev_value, version, term, epoch, origin, event_time)"
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
    ByteArrayOutputStream out = new ByteArrayOutputStream(events.size() * 320);
    for (ArchiveEvent a : events) {
      ChangeEvent e = a.event();
      text(out, e.group());
      out.write('\t');
      text(out, Long.toString(e.logIndex()));
      out.write('\t');
      text(out, Integer.toString(e.seq()));
      out.write('\t');
      text(out, e.op().code());
      out.write('\t');
      bytes(out, a.key());
      out.write('\t');
      bytes(out, e.after());
      out.write('\t');
      bytes(out, e.before());
      out.write('\t');
      text(out, Long.toString(e.version()));
      out.write('\t');
      text(out, Long.toString(e.term()));
      out.write('\t');
      text(out, Long.toString(e.epoch()));
      out.write('\t');
      text(out, e.origin().code());
      out.write('\t');
      text(out, SqlTime.utc(e.tsMs()));
      out.write('\n');
    }
    return out.toByteArray();
  }

  /** Upper bound of one event's bytes in {@link #rows}: every data byte may need an escape. */
  static long bytesOf(ArchiveEvent a) {
    return 2L * (a.key().length + size(a.event().after()) + size(a.event().before())) + 160;
  }

  private static void text(ByteArrayOutputStream out, String s) {
    bytes(out, s.getBytes(StandardCharsets.US_ASCII));
  }

  /** One field, escaped: NULL is {@code \N}; tab, newline, backslash and NUL are backslash sequences. */
  static void bytes(ByteArrayOutputStream out, byte[] v) {
    if (v == null) {
      out.write('\\');
      out.write('N');
    } else {
      for (byte b : v) {
        switch (b) {
          case '\t' -> escape(out, 't');
          case '\n' -> escape(out, 'n');
          case '\\' -> escape(out, '\\');
          case 0 -> escape(out, '0');
          default -> out.write(b);
        }
      }
    }
  }

  private static void escape(ByteArrayOutputStream out, char c) {
    out.write('\\');
    out.write(c);
  }

  private static long size(byte[] b) {
    return b == null ? 0 : b.length;
  }
}
