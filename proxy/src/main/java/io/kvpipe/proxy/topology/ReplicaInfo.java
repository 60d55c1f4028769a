package io.kvpipe.proxy.topology;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.protocol.GroupInfoReply;

/**
 * What one replica said of itself when asked for its group info: its role, the leader it follows, its log indices, and
 * (on the leader) when it last heard from each follower and their commit indices.
 *
 * @param role          leader, follower, candidate or listener
 * @param leader        the leader it knows (itself on the leader), or null
 * @param term          the leader's term on a leader, else 0 (Ratis reports it there only)
 * @param contactMs     leader only: ms since it last heard from each follower
 * @param commitIndices the commit index of each replica as this one knows it
 */
record ReplicaInfo(String id, String role, String leader, long term, long commitIndex, long appliedIndex,
                   Map<String, Long> contactMs, Map<String, Long> commitIndices) {

  ReplicaInfo {
    contactMs = Map.copyOf(contactMs);
    commitIndices = Map.copyOf(commitIndices);
  }

  boolean leads() {
    return "leader".equals(role);
  }

  static ReplicaInfo of(String id, GroupInfoReply reply) {
    RaftProtos.RoleInfoProto ri = reply.getRoleInfoProto();
    String role = ri.getRole().name().toLowerCase(Locale.ROOT);
    String leader = null;
    long term = 0;
    Map<String, Long> contact = new HashMap<>();
    if (ri.getRole() == RaftProtos.RaftPeerRole.LEADER) {
      leader = id;
      term = ri.getLeaderInfo().getTerm();
      for (RaftProtos.ServerRpcProto f : ri.getLeaderInfo().getFollowerInfoList()) {
        contact.put(f.getId().getId().toStringUtf8(), f.getLastRpcElapsedTimeMs());
      }
    } else if (ri.hasFollowerInfo() && ri.getFollowerInfo().hasLeaderInfo()) {
      String l = ri.getFollowerInfo().getLeaderInfo().getId().getId().toStringUtf8();
      leader = l.isEmpty() ? null : l;
    }
    Map<String, Long> commits = new HashMap<>();
    for (RaftProtos.CommitInfoProto c : reply.getCommitInfos()) {
      commits.put(c.getServer().getId().toStringUtf8(), c.getCommitIndex());
    }
    RaftProtos.LogInfoProto log = reply.getLogInfoProto();
    return new ReplicaInfo(id, role, leader, term, log.getCommitted().getIndex(), log.getApplied().getIndex(),
        contact, commits);
  }
}
