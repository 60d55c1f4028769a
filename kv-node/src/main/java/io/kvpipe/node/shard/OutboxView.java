package io.kvpipe.node.shard;

import io.kvpipe.common.event.ChangeEvent;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What the CDC publisher sees of one shard group on this node: the replicated outbox, whether this replica leads,
 * and a way to commit "published up to index N" through Raft. Thread-safe; callable from any thread.
 */
public interface OutboxView {
  /** The group's name, e.g. "g1" (the {@code source.group} of its events). */
  String group();

  /** Up to {@code max} unconfirmed events with log index > {@code afterIndex}, in log order. */
  List<ChangeEvent> pendingAfter(long afterIndex, int max);

  /** The highest log index confirmed as published (replicated; survives restarts and leader changes). */
  long confirmedIndex();

  /** Unconfirmed events held. */
  int size();

  /** Approximate bytes of unconfirmed events, as counted against the configured bound. */
  long bytes();

  /** Whether this replica is currently the group's leader (only the leader publishes). */
  boolean isLeader();

  /**
   * Registers a listener told (on a Ratis thread: return quickly) whenever this replica gains or loses leadership.
   * It is called once at registration with the current state.
   */
  void addLeadershipListener(LeadershipListener listener);

  /**
   * Replicates ConfirmPublished(upToIndex), trimming the outbox on every replica. Completes with the group's new
   * confirmed index, or exceptionally (e.g. a KvException NO_LEADER when this replica is not the leader).
   */
  CompletableFuture<Long> confirmPublished(long upToIndex);

  @FunctionalInterface
  interface LeadershipListener {
    void leadershipChanged(boolean leader);
  }
}
