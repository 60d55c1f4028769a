package io.kvpipe.testsupport.bench;

import java.util.HashMap;
import java.util.Map;

/**
 * Pairs each write's acknowledgement with the moment its kv_changelog row was first seen, by (key, version), and
 * records the difference. Either side may come first (a row can be seen before the client thread handles the ack); a
 * row seen first counts as zero latency. Thread-safe (client reply threads and the watcher thread; one lock).
 */
public final class VisibilityTracker {
  private record Id(String key, long version) {}

  private final LatencyRecorder latency;
  private final Map<Id, Long> ackedAt = new HashMap<>();
  private final Map<Id, Long> seenAt = new HashMap<>();
  private long acks;
  private long matched;
  private long seenBeforeAck;

  public VisibilityTracker(int capacity) {
    this.latency = new LatencyRecorder(capacity);
  }

  public synchronized void acked(String key, long version, long nanos) {
    acks++;
    Id id = new Id(key, version);
    Long seen = seenAt.remove(id);
    if (seen == null) {
      ackedAt.put(id, nanos);
    } else {
      seenBeforeAck++; // the client thread got to the reply after the watcher saw the row
      record(Math.max(0, seen - nanos));
    }
  }

  public synchronized void seen(String key, long version, long nanos) {
    Id id = new Id(key, version);
    Long acked = ackedAt.remove(id);
    if (acked == null) {
      seenAt.put(id, nanos);
    } else {
      record(nanos - acked);
    }
  }

  private void record(long nanos) {
    matched++;
    latency.record(nanos);
  }

  /** Acknowledged writes whose row has not been seen yet. */
  public synchronized int pending() {
    return ackedAt.size();
  }

  public synchronized long acks() {
    return acks;
  }

  public synchronized long matched() {
    return matched;
  }

  /** Rows seen before their write's acknowledgement was handled (counted as zero latency). */
  public synchronized long seenBeforeAck() {
    return seenBeforeAck;
  }

  public LatencyRecorder latency() {
    return latency;
  }
}
