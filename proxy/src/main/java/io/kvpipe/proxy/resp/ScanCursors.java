package io.kvpipe.proxy.resp;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * SCAN cursors. A RESP cursor must be a decimal number (redis-cli and others parse it as one), and kvpipe's scan
 * position is a key of up to 513 bytes, so a cursor is a random number this proxy maps to the position it stands for:
 * at most {@link #MAX_CURSORS}, the least recently used forgotten first, each for {@link #TTL_NANOS}. A forgotten
 * cursor (or one from another proxy) is refused, never taken as "start again". Thread-safe.
 */
final class ScanCursors {
  static final int MAX_CURSORS = 16_384;
  static final long TTL_NANOS = 10L * 60 * 1_000_000_000;

  private record Held(byte[] resumeFrom, long createdNanos) {}

  private final Map<Long, Held> cursors = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, Held> eldest) {
      return size() > MAX_CURSORS;
    }
  };

  /** A new cursor (never 0, which means "start" and "done") standing for {@code resumeFrom}. */
  synchronized long put(byte[] resumeFrom) {
    long id;
    do {
      id = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
    } while (cursors.containsKey(id));
    cursors.put(id, new Held(resumeFrom, System.nanoTime()));
    return id;
  }

  /** The position of {@code cursor}, or null if this proxy does not know it (any more). */
  synchronized byte[] get(long cursor) {
    Held h = cursors.get(cursor);
    if (h == null) {
      return null;
    }
    if (System.nanoTime() - h.createdNanos() > TTL_NANOS) {
      cursors.remove(cursor);
      return null;
    }
    return h.resumeFrom();
  }
}
