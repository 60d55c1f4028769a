package org.apache.ratis.server.impl;

import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;

/**
 * Lets kv-node start an election on a follower before its election timer would (see
 * io.kvpipe.node.raft.DeadLeaderWatch). Ratis has no public API for it: a follower's only way in is its FollowerState
 * timer, whose loop sleeps a random election timeout and then checks the silence against that same timeout, so a
 * dead leader is noticed one to two timeouts after its last heartbeat (measured: the bulk of the 0.8 s failover).
 *
 * <p>Lives in Ratis's package because {@code RaftServerImpl.changeToCandidate}, {@code FollowerState} and
 * {@code ServerState.setLeader} are package-private (checked against Ratis 3.3.0; a Ratis upgrade that changes them fails this module's compile, not a
 * run). The checks are the ones FollowerState makes before it changes to candidate, under the same lock.
 *
 * <p>The election skips Ratis's pre-vote round, as a leadership transfer's does. Pre-vote keeps a node that merely lost
 * touch from bumping the term of a group whose leader is alive; here the leader's process is known to be gone (its
 * port refuses connections), so the round could only repeat what the probe proved, at the price of a round trip
 * on every peer while the group cannot take writes. The vote itself is unchanged: granted only to a log at least as
 * up to date, by a majority.
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

  /** What {@link #startElection} did, and when it did not, why. */
  public enum Start {
    STARTED,
    /** Not a running follower (already a candidate or leader, or closing). */
    NOT_FOLLOWER,
    /** An AppendEntries is being written to this follower's log: Ratis's own timer waits for it too. */
    APPEND_IN_PROGRESS,
    /** Heard from the leader less than the silence asked for ago. */
    HEARD_RECENTLY,
    /** This node was a leader that stepped down for lost heartbeats moments ago. */
    LOST_MAJORITY_RECENTLY
  }

  /**
   * Changes this follower to candidate now, straight to the vote at the next term, if it has heard nothing from its
   * leader for at least {@code minSilenceMs} (no append in progress, not a leader that just stepped down for lost
   * heartbeats). Returns what it did.
   */
  public static Start startElection(RaftServer.Division division, long minSilenceMs) {
    if (!(division instanceof RaftServerImpl impl)) {
      return Start.NOT_FOLLOWER;
    }
    synchronized (impl) {
      if (!impl.isRunning() || !impl.getInfo().isFollower()) {
        return Start.NOT_FOLLOWER;
      }
      FollowerState f = impl.getRole().getFollowerState().orElse(null);
      if (f == null) {
        return Start.NOT_FOLLOWER;
      }
      if (f.getOutstandingOp() != 0) {
        return Start.APPEND_IN_PROGRESS;
      }
      if (f.getLastRpcTime().elapsedTimeMs() < minSilenceMs) {
        return Start.HEARD_RECENTLY;
      }
      if (f.lostMajorityHeartbeatsRecently()) {
        return Start.LOST_MAJORITY_RECENTLY;
      }
      impl.changeToCandidate(true);
      return Start.STARTED;
    }
  }

  /**
   * Makes this follower stop vouching for {@code deadLeader}, if that is still the leader it follows: it then no longer
   * refuses its vote to another candidate for having a valid leader (Ratis's vote withholding, which otherwise lasts a
   * minimum election timeout after the leader's last heartbeat). Only a liveness rule is relaxed: a leader that is in
   * fact alive is recognised again by its next AppendEntries, and a vote is still only granted to a candidate whose log
   * is at least as up to date. Returns whether it did.
   */
  public static boolean forgetLeader(RaftServer.Division division, RaftPeerId deadLeader) {
    if (!(division instanceof RaftServerImpl impl)) {
      return false;
    }
    synchronized (impl) {
      ServerState state = impl.getState();
      if (!impl.isRunning() || !impl.getInfo().isFollower() || !deadLeader.equals(state.getLeaderId())) {
        return false;
      }
      state.setLeader(null, "kvpipe dead-leader watch: " + deadLeader + " refuses connections");
      return true;
    }
  }
}
