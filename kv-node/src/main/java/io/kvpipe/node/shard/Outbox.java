package io.kvpipe.node.shard;

import io.kvpipe.common.event.ChangeEvent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The CDC outbox: change events committed but not yet confirmed as published, by log index. Replicated state (every
 * replica holds the same events, and snapshots carry them). Thread ownership: the apply thread is the only writer;
 * the publisher reads concurrently through {@link #pendingAfter}.
 */
final class Outbox {
  /** Fixed per-event overhead counted against the byte bound (envelope, identity fields). */
  static final int EVENT_OVERHEAD_BYTES = 64;

  private final ConcurrentSkipListMap<Long, ChangeEvent> events = new ConcurrentSkipListMap<>();
  private volatile long bytes;
  private volatile long confirmedIndex;

  static long sizeOf(ChangeEvent e) {
    return EVENT_OVERHEAD_BYTES + e.key().length() * 3L
        + (e.before() == null ? 0 : e.before().length) + (e.after() == null ? 0 : e.after().length);
  }

  /** Whether one more event of {@code eventBytes} fits under both bounds. */
  boolean hasRoom(long maxEvents, long maxBytes, long eventBytes) {
    return events.size() < maxEvents && bytes + eventBytes <= maxBytes;
  }

  /** Whether the outbox is already at (or past) a bound; the leader's pre-check before accepting a write. */
  boolean isFull(long maxEvents, long maxBytes) {
    return events.size() >= maxEvents || bytes >= maxBytes;
  }

  void append(ChangeEvent e) {
    events.put(e.logIndex(), e);
    bytes += sizeOf(e);
  }

  /** Drops every event with index <= {@code upToIndex}; the confirmed index never moves back. */
  void confirm(long upToIndex) {
    if (upToIndex <= confirmedIndex) {
      return;
    }
    Map<Long, ChangeEvent> done = events.headMap(upToIndex, true);
    long freed = 0;
    for (ChangeEvent e : done.values()) {
      freed += sizeOf(e);
    }
    done.clear();
    bytes -= freed;
    confirmedIndex = upToIndex;
  }

  List<ChangeEvent> pendingAfter(long afterIndex, int max) {
    List<ChangeEvent> out = new ArrayList<>(Math.min(max, 1024));
    for (ChangeEvent e : events.tailMap(afterIndex, false).values()) {
      if (out.size() >= max) {
        break;
      }
      out.add(e);
    }
    return out;
  }

  Collection<ChangeEvent> all() {
    return events.values();
  }

  int size() {
    return events.size();
  }

  long bytes() {
    return bytes;
  }

  long confirmedIndex() {
    return confirmedIndex;
  }

  /** Restores the confirmed index from a snapshot (before its events are appended). */
  void restoreConfirmedIndex(long index) {
    confirmedIndex = index;
  }
}
