package io.kvpipe.node.status;

import java.util.List;

/**
 * One group hosted on this node as its replica sees it at one instant: what {@code GET /ready} judges and
 * {@code GET /status} shows (docs/operations.md, "Health, readiness and group status").
 *
 * @param role       leader, follower, candidate, listener (Ratis's role, lower case)
 * @param leader     the leader this replica knows of, or null (none elected, or not heard of yet)
 * @param followers  the leader's view of each other replica (empty on a non-leader)
 * @param cdc        the CDC outbox and publisher of a shard group; null for the meta group
 * @param down       null while Ratis runs this replica; else why it does not (Ratis stopped it for good, or is still
 *                   adding it), for readiness and {@code /status}
 */
public record ReplicaState(String group, String role, String leader, long term, long commitIndex,
                           long appliedIndex, long lastEntryIndex, List<Follower> followers, Cdc cdc, String down) {

  public ReplicaState(String group, String role, String leader, long term, long commitIndex, long appliedIndex,
                      long lastEntryIndex, List<Follower> followers, Cdc cdc) {
    this(group, role, leader, term, commitIndex, appliedIndex, lastEntryIndex, followers, cdc, null);
  }

  /**
   * @param commitIndex   the follower's commit index as the leader last learned it
   * @param lastContactMs ms since the leader last heard from this follower
   */
  public record Follower(String id, long commitIndex, long lastContactMs) {}

  /**
   * @param enabled        this node publishes changes (it has --kafka-bootstrap)
   * @param publishing     a publisher runs here for the group (only on its leader)
   * @param kafkaProblem   on a publishing leader, what keeps its publisher from Kafka (no connection...), else null
   * @param confirmedIndex log index up to which every change event is confirmed published (replicated)
   * @param ackedIndex     log index up to which Kafka acknowledged this leader's sends (ahead of the confirmation), or -1
   * @param outboxEvents   change events not yet confirmed published
   */
  public record Cdc(boolean enabled, boolean publishing, String kafkaProblem, long confirmedIndex, long ackedIndex,
                    long outboxEvents) {}

  public ReplicaState {
    followers = List.copyOf(followers);
  }
}
