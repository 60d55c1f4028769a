package io.kvpipe.common.topology;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/** A read-only request to the meta group; answered from the applied state without touching the log. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = MetaQuery.Snapshot.class, name = "snapshot"),
    @JsonSubTypes.Type(value = MetaQuery.Version.class, name = "version"),
    @JsonSubTypes.Type(value = MetaQuery.EventsSince.class, name = "events"),
    @JsonSubTypes.Type(value = MetaQuery.ChangedAfter.class, name = "changed-after"),
    @JsonSubTypes.Type(value = MetaQuery.ChangesAfter.class, name = "changes-after"),
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

  /**
   * Waits until the topology's version is greater than {@code version} and answers with its {@link VersionInfo} at
   * once when it already is; otherwise the meta leader answers the moment a command it applies changes the version,
   * or after {@code waitMillis} (clamped to 0..{@link #MAX_WAIT_MILLIS}) with the unchanged version. How proxies learn
   * of changes without polling.
   */
  record ChangedAfter(long version, long waitMillis) implements MetaQuery {
    public static final long MAX_WAIT_MILLIS = 10_000;

    public ChangedAfter {
      waitMillis = Math.clamp(waitMillis, 0, MAX_WAIT_MILLIS);
    }
  }

  /**
   * {@link ChangedAfter} answered with the change itself: the topology and the events after {@code version}
   * ({@link Changes}), read from the state the change produced. A proxy then learns of a change in one round trip
   * instead of three (ask, snapshot, events), each of which queued behind everything else on a loaded box. Meta
   * replicas older than this query refuse it; the proxy then falls back to {@link ChangedAfter}.
   */
  record ChangesAfter(long version, long waitMillis) implements MetaQuery {
    public ChangesAfter {
      waitMillis = Math.clamp(waitMillis, 0, ChangedAfter.MAX_WAIT_MILLIS);
    }
  }

  /** The answer to {@link ChangesAfter}: the topology, and the events after the version asked about, up to it. */
  record Changes(Topology topology, EventPage events) {}

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
