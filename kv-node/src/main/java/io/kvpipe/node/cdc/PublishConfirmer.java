package io.kvpipe.node.cdc;

import java.util.concurrent.CompletableFuture;

/**
 * Submits "published up to index N" through the group's Raft log (the ConfirmPublished command), which trims the
 * outbox on every replica. Applying it must be monotonic (a lower N than the current confirmed index changes nothing):
 * a confirm is true whoever sends it, since it is only sent once Kafka acknowledged every event up to N.
 */
@FunctionalInterface
public interface PublishConfirmer {
  /** Completes when the confirm is committed; fails (e.g. not leader) without side effects the caller must undo. */
  CompletableFuture<?> confirm(long upToIndex);
}
