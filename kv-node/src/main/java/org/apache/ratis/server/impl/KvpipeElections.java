package org.apache.ratis.server.impl;

import org.apache.ratis.server.RaftServer;

/**
 * Lets kv-node start an election on a follower before its election timer would (see
 * io.kvpipe.node.raft.DeadLeaderWatch). Ratis has no public API for it: a follower's only way in is its FollowerState
 * timer, whose loop sleeps a random election timeout and then checks the silence against that same timeout, so a
 * dead leader is noticed one to two timeouts after its last heartbeat (measured: the bulk of the 0.8 s failover).
 *
 * <p>Lives in Ratis's package because {@code RaftServerImpl.changeToCandidate} and {@code FollowerState} are
 * package-private (checked against Ratis 3.3.0; a Ratis upgrade that changes them fails this module's compile, not a
 * run). The checks are the ones FollowerState makes before it changes to candidate, under the same lock, and the
 * election is an ordinary one: with pre-vote on (Ratis's default) no term is bumped unless a majority would vote.
 */
public final class KvpipeElections {
  private KvpipeElections() {}

  /** How long this follower has heard nothing from its leader, or -1 if it is not a running follower. */
  public static long leaderSilenceMs(RaftServer.Division division) {
    if (!(division instanceof RaftServerImpl impl)) {
      return -1;
    }
    return impl.getRole().getFollowerState().map(f -> f.getLastRpcTime().elapsedTimeMs()).orElse(-1L);
  }

  /**
   * Changes this follower to candidate now if it has heard nothing from its leader for at least {@code minSilenceMs}
   * (no append in progress, not a leader that just stepped down for lost heartbeats), exactly as its election timer
   * would. Returns whether it did.
   */
  public static boolean startElection(RaftServer.Division division, long minSilenceMs) {
    if (!(division instanceof RaftServerImpl impl)) {
      return false;
    }
    synchronized (impl) {
      if (!impl.isRunning() || !impl.getInfo().isFollower()) {
        return false;
      }
      FollowerState f = impl.getRole().getFollowerState().orElse(null);
      if (f == null || f.getOutstandingOp() != 0 || f.getLastRpcTime().elapsedTimeMs() < minSilenceMs
          || f.lostMajorityHeartbeatsRecently()) {
        return false;
      }
      impl.changeToCandidate(false);
      return true;
    }
  }
}
