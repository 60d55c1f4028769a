package io.kvpipe.node.cdc;

import io.kvpipe.common.event.ChangeEvent;
import java.util.List;

/**
 * The read side of a shard group's replicated CDC outbox: change events that are committed (applied by the state
 * machine) and not yet confirmed as published. Implemented by the shard state machine; called from the publisher
 * thread while the state machine keeps applying, so implementations must be thread-safe.
 */
public interface OutboxSource {
  /**
   * Events with {@code logIndex > afterIndex}, in log order. Never splits a log index: if one event of an index is
   * returned, all events of that index are (so {@code max} may be exceeded by the events of the last index).
   *
   * @param max the number of events wanted (a soft limit, see above), at least 1
   */
  List<ChangeEvent> pendingAfter(long afterIndex, int max);

  /** The highest log index confirmed as published (replicated; the outbox holds nothing at or below it). */
  long confirmedIndex();

  /** How many events the outbox holds (committed, not yet confirmed), for the depth metric. */
  long depth();
}
