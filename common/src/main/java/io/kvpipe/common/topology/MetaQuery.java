package io.kvpipe.common.topology;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/** A read-only request to the meta group; answered from the applied state without touching the log. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = MetaQuery.Snapshot.class, name = "snapshot"),
    @JsonSubTypes.Type(value = MetaQuery.Version.class, name = "version"),
    @JsonSubTypes.Type(value = MetaQuery.EventsSince.class, name = "events"),
})
public sealed interface MetaQuery {
  /** The whole topology; answered with {@link Topology}. */
  record Snapshot() implements MetaQuery {}

  /** Just the version and epoch (cheap; used for polling); answered with {@link VersionInfo}. */
  record Version() implements MetaQuery {}

  /** Events with a version greater than {@code since}, oldest first, at most {@code limit}; answered with {@link EventPage}. */
  record EventsSince(long since, int limit) implements MetaQuery {
    public EventsSince {
      if (limit <= 0 || limit > MetaState.MAX_EVENTS) {
        limit = MetaState.MAX_EVENTS;
      }
    }
  }

  record VersionInfo(long version, long epoch) {}

  /**
   * A page of events. {@code truncated} means events after {@code since} were already dropped from the bounded log: the
   * reader missed some and should re-read the snapshot.
   */
  record EventPage(long version, boolean truncated, java.util.List<TopologyEvent> events) {
    public EventPage {
      events = events == null ? java.util.List.of() : java.util.List.copyOf(events);
    }
  }
}
