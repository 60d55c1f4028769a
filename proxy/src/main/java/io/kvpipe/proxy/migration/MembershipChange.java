package io.kvpipe.proxy.migration;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.topology.Migration;
import io.kvpipe.common.topology.NodeInfo;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.Topology;
import java.util.List;
import java.util.Map;

/**
 * The guards of a replica change and the record that starts one. Pure: the API checks them before creating the
 * record (so bad input is a clear 4xx and changes nothing), the coordinator again before acting.
 */
public final class MembershipChange {
  private MembershipChange() {}

  /**
   * Throws the refusal if {@code kind} (add-peer / remove-peer) of {@code peer} in {@code group} is not allowed now.
   *
   * @param ownId the change being checked, if it already has a record (it does not count as "another change")
   */
  public static void check(Topology t, String kind, String group, Peer peer, String ownId) {
    ShardGroup g = t.group(group).orElseThrow(() -> new KvException(ErrorCode.UNKNOWN_GROUP, "unknown group " + group));
    Migration other = t.inFlightMigration().filter(m -> !m.id().equals(ownId)).orElse(null);
    if (other != null) {
      throw new KvException(ErrorCode.CONFLICT, "another change is in flight: " + other.kind() + " " + other.id()
          + " (" + other.phase() + ")");
    }
    boolean member = g.peers().stream().anyMatch(p -> p.id().equals(peer.id()));
    if (kind.equals(Migration.ADD_PEER)) {
      if (member) {
        throw new KvException(ErrorCode.CONFLICT, "node " + peer.id() + " is already a replica of " + group);
      }
      NodeInfo known = t.node(peer.id()).orElse(null);
      if (known != null && !known.address().equals(peer.address())) {
        throw new KvException(ErrorCode.CONFLICT, "node " + peer.id() + " is known at " + known.address() + ", not "
            + peer.address());
      }
      return;
    }
    if (!member) {
      throw new KvException(ErrorCode.NOT_FOUND, "node " + peer.id() + " is not a replica of " + group);
    }
    List<Peer> remaining = g.peers().stream().filter(p -> !p.id().equals(peer.id())).toList();
    if (remaining.isEmpty()) {
      throw new KvException(ErrorCode.CONFLICT, "group " + group + " would be left without replicas");
    }
    long up = remaining.stream().filter(p -> t.node(p.id()).map(NodeInfo::up).orElse(false)).count();
    if (up * 2 <= remaining.size()) {
      throw new KvException(ErrorCode.CONFLICT, "group " + group + " would be left without a live majority (" + up
          + " of " + remaining.size() + " remaining replicas up)");
    }
  }

  /** The record of a new change, leased to {@code coordinator}. */
  public static Migration record(String id, String kind, String group, Peer peer, Topology t, String coordinator,
                                 long nowMs) {
    return new Migration(id, kind, MigrationRecord.PENDING, t.epoch(), t.epoch(), null, List.of(), List.of(group), 0,
        0, nowMs, nowMs, Map.of("group", group, "peer", peer.toString(), "step", MigrationRecord.PENDING,
        "coordinator", coordinator, "heartbeatMs", Long.toString(nowMs)));
  }
}
