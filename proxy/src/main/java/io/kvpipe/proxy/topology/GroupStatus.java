package io.kvpipe.proxy.topology;

import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.wire.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One shard group's replication and CDC state as this proxy last collected it (the {@code status} of each group in
 * {@code GET /api/topology/shards}; docs/operations.md). Lags are in log entries, measured against the leader.
 *
 * @param leader        the replica that leads (the highest term if two claim it), or null if no reachable one does
 * @param cdc           the leader's CDC outbox, or null if it could not be read
 * @param collectedAtMs when the replicas were asked
 */
public record GroupStatus(String group, String raftGroup, String leader, long term, List<Replica> replicas, Cdc cdc,
                          long collectedAtMs) {

  /**
   * @param role          leader, follower, candidate, listener, or unreachable
   * @param commitIndex   its own (reachable) or the leader's record of it (unreachable), or null
   * @param appliedIndex  null when unreachable
   * @param commitLag     leader's commit index minus this replica's, or null (no leader, or unknown)
   * @param appliedLag    leader's applied index minus this replica's, or null
   * @param lastContactMs ms since the leader last heard from it (0 for the leader), or null without a leader
   * @param error         why it could not be asked, or null
   */
  public record Replica(String id, String role, Long commitIndex, Long appliedIndex, Long commitLag, Long appliedLag,
                        Long lastContactMs, String error) {}

  /**
   * @param publishedUpTo log index up to which every change event is confirmed published to Kafka
   * @param outboxEvents  change events committed but not confirmed published (0 = nothing waiting)
   * @param lagEntries    the leader's commit index minus {@code publishedUpTo} (log entries without events count
   *                      too, so it is small but rarely 0 when idle)
   */
  public record Cdc(long publishedUpTo, long outboxEvents, long lagEntries, String error) {}

  public GroupStatus {
    replicas = List.copyOf(replicas);
  }

  /** Whether a reachable replica leads. */
  public boolean hasLeader() {
    return leader != null;
  }

  /**
   * Puts together what each replica said ({@code infos}: absent = not asked or no answer, with {@code errors} saying
   * why) and the group's CDC status ({@code cdc}, from its leader; null if unknown).
   */
  static GroupStatus aggregate(String group, String raftGroup, List<Peer> peers, Map<String, ReplicaInfo> infos,
                               Map<String, String> errors, Reply.Status cdc, String cdcError, long collectedAtMs) {
    ReplicaInfo leader = null;
    for (ReplicaInfo i : infos.values()) {
      if (i.leads() && (leader == null || i.term() > leader.term())) {
        leader = i;
      }
    }
    List<Replica> replicas = new ArrayList<>();
    for (Peer p : peers) {
      ReplicaInfo i = infos.get(p.id());
      Long contact = leader == null ? null : p.id().equals(leader.id()) ? Long.valueOf(0)
          : leader.contactMs().get(p.id());
      if (i == null) {
        Long commit = leader == null ? null : leader.commitIndices().get(p.id());
        replicas.add(new Replica(p.id(), "unreachable", commit, null,
            commit == null ? null : Math.max(0, leader.commitIndex() - commit), null, contact,
            errors.getOrDefault(p.id(), "no answer")));
      } else {
        replicas.add(new Replica(p.id(), i.role(), i.commitIndex(), i.appliedIndex(),
            leader == null ? null : Math.max(0, leader.commitIndex() - i.commitIndex()),
            leader == null ? null : Math.max(0, leader.appliedIndex() - i.appliedIndex()), contact, null));
      }
    }
    Cdc c;
    if (cdc != null) {
      long commit = leader != null ? leader.commitIndex() : cdc.appliedIndex();
      c = new Cdc(cdc.confirmedIndex(), cdc.outboxEvents(), Math.max(0, commit - cdc.confirmedIndex()), null);
    } else {
      c = new Cdc(-1, -1, -1, cdcError == null ? "unknown" : cdcError);
    }
    return new GroupStatus(group, raftGroup, leader == null ? null : leader.id(), leader == null ? 0 : leader.term(),
        replicas, c, collectedAtMs);
  }
}
