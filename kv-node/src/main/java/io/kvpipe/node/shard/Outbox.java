package io.kvpipe.node.shard;

import io.kvpipe.common.event.ChangeEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The CDC outbox: change events committed but not yet confirmed as published, by log index. A log index holds one
 * event (a single-key write) or many (a bulk load, a migration copy, the r events of a snapshot: seq 0..N-1); an
 * index's events are stored as one immutable list, so a reader sees all of them or none. Replicated state (every
 * replica holds the same events, and snapshots carry them). Thread ownership: the apply thread is the only writer; the publisher reads concurrently
 * through {@link #pendingAfter}.
 */
final class Outbox {
  /** Fixed per-event overhead counted against the byte bound (envelope, identity fields). */
  static final int EVENT_OVERHEAD_BYTES = 64;

  private final ConcurrentSkipListMap<Long, List<ChangeEvent>> events = new ConcurrentSkipListMap<>();
  private volatile int size;
  private volatile long bytes;
  private volatile long confirmedIndex;

  static long sizeOf(ChangeEvent e) {
    return sizeOf(e.key(), e.before(), e.after());
  }

  /** The size of an event before it is built (to check for room first). */
  static long sizeOf(String key, byte[] before, byte[] after) {
    return EVENT_OVERHEAD_BYTES + key.length() * 3L + (before == null ? 0 : before.length)
        + (after == null ? 0 : after.length);
  }

  /** Whether one more event of {@code eventBytes} fits under both bounds. */
  boolean hasRoom(long maxEvents, long maxBytes, long eventBytes) {
    return hasRoom(maxEvents, maxBytes, 1, eventBytes);
  }

  /** Whether {@code count} more events of {@code eventBytes} in all fit under both bounds. */
  boolean hasRoom(long maxEvents, long maxBytes, int count, long eventBytes) {
    return size + (long) count <= maxEvents && bytes + eventBytes <= maxBytes;
  }

  /** Whether the outbox holds more than half of either bound (migration copies leave that half to client writes). */
  boolean isOverHalf(long maxEvents, long maxBytes) {
    return size * 2L > maxEvents || bytes * 2 > maxBytes;
  }

  /** Whether the outbox is already at (or past) a bound; the leader's pre-check before accepting a write. */
  boolean isFull(long maxEvents, long maxBytes) {
    return size >= maxEvents || bytes >= maxBytes;
  }

  void append(ChangeEvent e) {
    appendAll(List.of(e));
  }

  /**
   * Adds the events of one log index, all at once (a reader never sees part of them). They must share a log index
   * above every index held, and be in seq order.
   */
  void appendAll(List<ChangeEvent> indexEvents) {
    if (indexEvents.isEmpty()) {
      return;
    }
    long index = indexEvents.get(0).logIndex();
    long added = 0;
    for (int i = 0; i < indexEvents.size(); i++) {
      ChangeEvent e = indexEvents.get(i);
      if (e.logIndex() != index || e.seq() != i) {
        throw new IllegalArgumentException("events of one index must have seq 0..n-1 in order: " + e);
      }
      added += sizeOf(e);
    }
    if (!events.isEmpty() && events.lastKey() >= index) {
      throw new IllegalArgumentException("index " + index + " is not above the outbox's last " + events.lastKey());
    }
    events.put(index, List.copyOf(indexEvents));
    size += indexEvents.size();
    bytes += added;
  }

  /** Drops every event with index <= {@code upToIndex}; the confirmed index never moves back. */
  void confirm(long upToIndex) {
    if (upToIndex <= confirmedIndex) {
      return;
    }
    Map<Long, List<ChangeEvent>> done = events.headMap(upToIndex, true);
    long freed = 0;
    int count = 0;
    for (List<ChangeEvent> list : done.values()) {
      for (ChangeEvent e : list) {
        freed += sizeOf(e);
      }
      count += list.size();
    }
    done.clear();
    bytes -= freed;
    size -= count;
    confirmedIndex = upToIndex;
  }

  /**
   * Events with index > {@code afterIndex}, in (index, seq) order: whole indexes only, until at least {@code max}
   * events are collected (so the last index may take it past {@code max}).
   */
  List<ChangeEvent> pendingAfter(long afterIndex, int max) {
    List<ChangeEvent> out = new ArrayList<>(Math.min(max, 1024));
    for (List<ChangeEvent> list : events.tailMap(afterIndex, false).values()) {
      if (out.size() >= max) {
        break;
      }
      out.addAll(list);
    }
    return out;
  }

  /** Every held event in (index, seq) order. */
  List<ChangeEvent> all() {
    return pendingAfter(Long.MIN_VALUE, Integer.MAX_VALUE);
  }

  int size() {
    return size;
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
