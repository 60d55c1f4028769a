package io.kvpipe.node;

import io.kvpipe.node.cdc.LeaderPublishing;
import io.kvpipe.node.status.Readiness;
import io.kvpipe.node.status.ReplicaState;
import io.kvpipe.node.shard.OutboxView;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.util.LifeCycle;

/**
 * Reads every hosted group's replica state from the Ratis server (role, leader, commit/applied indices, the leader's
 * view of its followers) and from this node's CDC wiring: the source of {@code GET /ready} and {@code GET /status}.
 * Thread-safe (reads only volatile or concurrent state).
 */
final class NodeStatus {
  private final String nodeId;
  private final RaftServer server;
  private final Function<RaftGroupId, String> names;
  private final Map<String, ? extends OutboxView> outboxes;
  private final Map<String, LeaderPublishing> publishers;
  private final boolean cdcEnabled;
  private final long maxApplyLag;
  private final Set<RaftGroupId> adding;
  private final Function<String, String> fatalCauses;

  /**
   * @param adding groups Ratis lists but is still adding: not read from Ratis (that would wait for the add)
   * @param fatalCauses by group name, why Ratis stopped its replica as its state machine saw it, or null
   */
  NodeStatus(String nodeId, RaftServer server, Function<RaftGroupId, String> names,
             Map<String, ? extends OutboxView> outboxes, Map<String, LeaderPublishing> publishers, boolean cdcEnabled,
             long maxApplyLag, Set<RaftGroupId> adding, Function<String, String> fatalCauses) {
    this.adding = Set.copyOf(adding);
    this.fatalCauses = fatalCauses;
    this.nodeId = nodeId;
    this.server = server;
    this.names = names;
    this.outboxes = outboxes;
    this.publishers = publishers;
    this.cdcEnabled = cdcEnabled;
    this.maxApplyLag = maxApplyLag;
  }

  boolean serverRunning() {
    return server.getLifeCycleState() == LifeCycle.State.RUNNING;
  }

  List<ReplicaState> replicas() {
    List<ReplicaState> out = new ArrayList<>();
    for (RaftGroupId gid : server.getGroupIds()) {
      if (adding.contains(gid)) {
        out.add(new ReplicaState(names.apply(gid), "adding", null, 0, -1, -1, -1, List.of(), null,
            "Ratis is still adding this replica"));
        continue;
      }
      RaftServer.Division d;
      try {
        d = server.getDivision(gid);
      } catch (IOException e) {
        continue; // removed (or closing) since the listing
      }
      String group = names.apply(gid);
      try {
        out.add(stopped(d) ? stoppedReplica(group, d) : replica(group, d));
      } catch (IllegalStateException e) {
        if (!stopped(d)) {
          throw e;
        }
        out.add(stoppedReplica(group, d)); // Ratis stopped it while it was read: its log refuses reads once closed
      }
    }
    out.sort(java.util.Comparator.comparing(ReplicaState::group));
    return out;
  }

  private ReplicaState replica(String group, RaftServer.Division d) {
    DivisionInfo info = d.getInfo();
    RaftLog log = d.getRaftLog();
    String role = info.getCurrentRole().name().toLowerCase(Locale.ROOT);
    RaftPeerId leaderId = info.getLeaderId();
    // A leader that has not committed its first entry of the term cannot serve yet: count it as no leader.
    String leader = leaderId == null || (info.isLeader() && !info.isLeaderReady()) ? null : leaderId.toString();
    List<ReplicaState.Follower> followers = new ArrayList<>();
    if (info.isLeader()) {
      Map<String, Long> contact = new HashMap<>();
      RaftProtos.RoleInfoProto roleInfo = info.getRoleInfoProto();
      if (roleInfo.hasLeaderInfo()) {
        for (RaftProtos.ServerRpcProto f : roleInfo.getLeaderInfo().getFollowerInfoList()) {
          contact.put(f.getId().getId().toStringUtf8(), f.getLastRpcElapsedTimeMs());
        }
      }
      for (RaftProtos.CommitInfoProto c : d.getCommitInfos()) {
        String id = c.getServer().getId().toStringUtf8();
        if (!id.equals(nodeId)) {
          followers.add(new ReplicaState.Follower(id, c.getCommitIndex(), contact.getOrDefault(id, -1L)));
        }
      }
      followers.sort(java.util.Comparator.comparing(ReplicaState.Follower::id));
    }
    var last = log.getLastEntryTermIndex();
    return new ReplicaState(group, role, leader, info.getCurrentTerm(), log.getLastCommittedIndex(),
        info.getLastAppliedIndex(), last == null ? -1 : last.getIndex(), followers, cdc(group, info.isLeader()));
  }

  /** A replica Ratis stopped: no leader, no log indices (its closed log refuses reads), and why it stopped. */
  private ReplicaState stoppedReplica(String group, RaftServer.Division d) {
    DivisionInfo info = d.getInfo();
    return new ReplicaState(group, "stopped", null, info.getCurrentTerm(), -1, info.getLastAppliedIndex(), -1,
        List.of(), cdc(group, false), stoppedReason(d, fatalCauses.apply(group)));
  }

  /**
   * Whether Ratis stopped this replica for good while still listing it: it does so when the state machine throws what
   * Ratis takes as fatal, and only a restart brings the replica back. (A removed replica is no longer listed.)
   */
  static boolean stopped(RaftServer.Division d) {
    LifeCycle.State s = d.getInfo().getLifeCycleState();
    return s.isClosingOrClosed() || s == LifeCycle.State.EXCEPTION;
  }

  static String stoppedReason(RaftServer.Division d, String cause) {
    return "Ratis stopped this replica (" + d.getInfo().getLifeCycleState() + "): "
        + (cause != null ? cause : "cause unknown here, see the node's log")
        + "; the node does not serve the group until it restarts";
  }

  private ReplicaState.Cdc cdc(String group, boolean leader) {
    OutboxView outbox = outboxes.get(group);
    if (outbox == null) {
      return null; // the meta group
    }
    LeaderPublishing p = publishers.get(group);
    boolean publishing = p != null && leader && p.isPublishing();
    return new ReplicaState.Cdc(cdcEnabled, publishing, publishing ? p.kafkaProblem() : null,
        outbox.confirmedIndex(), p == null ? -1 : p.ackedIndex(), outbox.size());
  }

  Readiness.Result readiness() {
    return Readiness.evaluate(serverRunning(), replicas(), maxApplyLag);
  }

  /** The body of {@code GET /status}: the node, its readiness, and every hosted group's replica state. */
  Map<String, Object> statusJson() {
    List<ReplicaState> replicas = replicas();
    Readiness.Result r = Readiness.evaluate(serverRunning(), replicas, maxApplyLag);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("node", nodeId);
    out.put("ready", r.ready());
    out.put("problems", r.problems());
    out.put("groups", replicas);
    return out;
  }
}
