package io.kvpipe.common.topology;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything the meta group replicates: the current {@link Topology} and the most recent {@link #MAX_EVENTS} events,
 * oldest first. Immutable; this is also what a meta snapshot file holds.
 */
public record MetaState(Topology topology, List<TopologyEvent> events) {
  public static final int MAX_EVENTS = 1000;
  public static final MetaState EMPTY = new MetaState(Topology.EMPTY, List.of());

  public MetaState {
    if (topology == null) {
      throw new IllegalArgumentException("topology missing");
    }
    events = events == null ? List.of() : List.copyOf(events);
  }

  /** A new state at {@code next} with {@code added} appended and the oldest events dropped past the bound. */
  MetaState advance(Topology next, List<TopologyEvent> added) {
    List<TopologyEvent> all = new ArrayList<>(events.size() + added.size());
    all.addAll(events);
    all.addAll(added);
    int drop = Math.max(0, all.size() - MAX_EVENTS);
    return new MetaState(next, all.subList(drop, all.size()));
  }

  /** Answers {@link MetaQuery.EventsSince}. */
  public MetaQuery.EventPage eventsSince(long since, int limit) {
    List<TopologyEvent> out = new ArrayList<>();
    for (TopologyEvent e : events) {
      if (e.version() > since) {
        if (out.size() == limit) {
          break;
        }
        out.add(e);
      }
    }
    // Truncated if the reader is behind and the event right after `since` is no longer kept.
    boolean truncated = since < topology.version()
        && (events.isEmpty() || events.getFirst().version() > since + 1);
    return new MetaQuery.EventPage(topology.version(), truncated, out);
  }
}
