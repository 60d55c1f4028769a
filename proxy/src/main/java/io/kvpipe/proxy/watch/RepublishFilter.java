package io.kvpipe.proxy.watch;

import io.kvpipe.common.event.ChangeEvent;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Recognises events a new group leader published again (delivery into Kafka is at-least-once; a republished event has
 * the identity {@code (group, log index, seq)} of its first copy). An event is a repeat if the same identity occurred
 * in the {@code window} records before it in its partition. The decision depends only on those records, so any two
 * readers that have each seen them decide alike: the proxy's live reader and a resuming watcher's reader (which starts
 * {@code window} records before its position) drop exactly the same events, and a watcher sees every change once
 * across reconnects. Per partition a map of identity → offset of its last occurrence, oldest first, trimmed to the
 * window. Not thread-safe: one per reader.
 */
final class RepublishFilter {
  private record Identity(String group, long logIndex, int seq) {}

  private final long window;
  private final LinkedHashMap<Identity, Long>[] seen;

  @SuppressWarnings("unchecked")
  RepublishFilter(int partitions, long window) {
    this.window = window;
    this.seen = new LinkedHashMap[partitions];
    for (int p = 0; p < partitions; p++) {
      seen[p] = new LinkedHashMap<>();
    }
  }

  /** Records the event at {@code offset} of {@code partition} (called in offset order); true if it is a repeat. */
  boolean isRepeat(int partition, long offset, ChangeEvent e) {
    LinkedHashMap<Identity, Long> m = seen[partition];
    Iterator<Map.Entry<Identity, Long>> oldest = m.entrySet().iterator();
    while (oldest.hasNext() && oldest.next().getValue() < offset - window) {
      oldest.remove();
    }
    Identity id = new Identity(e.group(), e.logIndex(), e.seq());
    Long before = m.remove(id); // re-inserted below, so the map stays ordered by last occurrence
    if (window > 0) {
      m.put(id, offset);
    }
    return before != null;
  }

  int size(int partition) {
    return seen[partition].size();
  }
}
