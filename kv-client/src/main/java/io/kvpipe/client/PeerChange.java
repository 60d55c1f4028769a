package io.kvpipe.client;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.RaftRetryFailureException;
import org.apache.ratis.protocol.exceptions.ReconfigurationInProgressException;
import org.apache.ratis.protocol.exceptions.ReconfigurationTimeoutException;
import org.apache.ratis.protocol.exceptions.SetConfigurationException;
import java.util.concurrent.locks.LockSupport;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.rpc.SupportedRpcType;

/**
 * One membership change of a group ({@link ShardGroupClient#setPeersAsync}) driven to its end: Ratis setConfiguration
 * attempts on a private admin client until success or the deadline. Runs on one (virtual) thread; not shared.
 */
final class PeerChange {
  private static final long ATTEMPT_MILLIS = 5000;
  private static final long PAUSE_MILLIS = 200;
  private static final TimeDuration REDIRECT_SLEEP = TimeDuration.valueOf(50, TimeUnit.MILLISECONDS);
  private final String group;
  private final RaftGroup raftGroup;
  private final RaftTls tls;
  private final List<RaftPeer> target;
  private final long deadlineNanos;
  private int nextHint;

  PeerChange(String group, RaftGroup raftGroup, RaftTls tls, List<RaftPeer> target, long deadlineNanos) {
    this.group = group;
    this.raftGroup = raftGroup;
    this.tls = tls;
    this.target = target;
    this.deadlineNanos = deadlineNanos;
  }

  void run() {
    RaftClient admin = adminClient(null);
    try {
      while (true) {
        IOException failure;
        try {
          handOverLeadershipIfLeaving(admin);
          RaftClientReply reply = admin.admin().setConfiguration(target);
          if (reply.isSuccess()) {
            return;
          }
          failure = reply.getException() != null ? reply.getException() : new IOException("unsuccessful reply");
        } catch (IOException e) {
          failure = e;
        }
        Throwable cause = RaftErrors.unwrap(failure);
        if (cause instanceof RaftRetryFailureException && cause.getCause() != null) {
          cause = cause.getCause();
        }
        if (cause instanceof SetConfigurationException) {
          throw new KvException(ErrorCode.CONFLICT, "group " + group + " refused the peers " + target + ": "
              + cause.getMessage(), cause);
        }
        long pause = TimeUnit.MILLISECONDS.toNanos(PAUSE_MILLIS);
        if (System.nanoTime() + pause >= deadlineNanos) {
          throw finalError(cause);
        }
        if (cause instanceof GroupMismatchException || cause instanceof AlreadyClosedException) {
          // The replica the client tried (e.g. one removed from the group) will never lead it: start over elsewhere.
          close(admin);
          admin = adminClient(raftGroup.getPeers().stream().toList().get(
              Math.floorMod(nextHint++, raftGroup.getPeers().size())).getId());
        }
        LockSupport.parkNanos(pause);
      }
    } finally {
      close(admin);
    }
  }

  /**
   * A leader that commits a configuration without itself closes its own replica from inside Ratis, and that close
   * can deadlock with a request being submitted on that node (seen with the CDC publisher's confirm on Ratis 3.3).
   * So a leaving leader first hands leadership to a peer that stays; if the hand-over fails, the change goes ahead
   * anyway (the next attempt tries again).
   */
  private void handOverLeadershipIfLeaving(RaftClient admin) {
    Set<String> staying = new HashSet<>();
    target.forEach(p -> staying.add(p.getId().toString()));
    RaftPeerId leader = null;
    for (RaftPeer peer : raftGroup.getPeers()) {
      try {
        GroupInfoReply info = admin.getGroupManagementApi(peer.getId()).info(raftGroup.getGroupId());
        if (info.isSuccess() && info.getRoleInfoProto().getRole() == RaftPeerRole.LEADER) {
          leader = peer.getId();
          break;
        }
      } catch (IOException | RuntimeException unreachable) {
        // Down, or no longer hosting the group: not the leader we look for.
      }
    }
    if (leader == null || staying.contains(leader.toString())) {
      return;
    }
    for (RaftPeer peer : raftGroup.getPeers()) {
      if (staying.contains(peer.getId().toString())) {
        try {
          if (admin.admin().transferLeadership(peer.getId(), ATTEMPT_MILLIS).isSuccess()) {
            return;
          }
        } catch (IOException | RuntimeException e) {
          // That peer could not take over (lagging, down): try the next one.
        }
      }
    }
  }

  private KvException finalError(Throwable cause) {
    if (cause instanceof ReconfigurationInProgressException) {
      return new KvException(ErrorCode.CONFLICT, "group " + group + ": another membership change was still running"
          + " at the deadline; peers " + target + " not applied: " + cause.getMessage(), cause);
    }
    if (cause instanceof ReconfigurationTimeoutException) {
      return new KvException(ErrorCode.UNAVAILABLE, "group " + group + ": a new peer of " + target
          + " did not catch up (is it running and hosting the group?): " + cause.getMessage(), cause);
    }
    KvException kv = RaftErrors.toKvException(cause, group);
    return new KvException(kv.code(), "changing the peers of group " + group + " to " + target + ": "
        + kv.getMessage(), cause);
  }

  private RaftClient adminClient(RaftPeerId leaderHint) {
    long attempt = Math.clamp(TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()), 500,
        ATTEMPT_MILLIS);
    RaftProperties props = new RaftProperties();
    RaftConfigKeys.Rpc.setType(props, SupportedRpcType.GRPC);
    RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(attempt, TimeUnit.MILLISECONDS));
    // Ratis follows a NotLeader redirect only through its retry policy; every other retry is ours (deadline-bound).
    RaftClient.Builder b = RaftClient.newBuilder().setClientId(ClientId.randomId()).setRaftGroup(raftGroup)
        .setProperties(props).setParameters(tls.parameters())
        .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(3, REDIRECT_SLEEP));
    if (leaderHint != null) {
      b.setLeaderId(leaderHint);
    }
    return b.build();
  }

  private void close(RaftClient c) {
    try {
      c.close();
    } catch (IOException e) {
      // Nothing depends on it: the admin client was private to this change.
    }
  }
}
