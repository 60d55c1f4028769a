package io.kvpipe.node.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.node.raft.DeadLeaderWatch.Finding;
import io.kvpipe.node.raft.DeadLeaderWatch.Step;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.apache.ratis.protocol.RaftPeerId;
import org.junit.jupiter.api.Test;

/**
 * Only a refused connection may start an election: a listening port, or an address that is no address, may not; and
 * when, in the silence after the leader's last heartbeat, a follower probes and stands.
 */
class DeadLeaderWatchTest {
  static final long MIN = 300;
  static final long PROBE = DeadLeaderWatch.probeSilenceMs(MIN);
  static final long HANDOFF = DeadLeaderWatch.HANDOFF.toMillis();
  static final long STAGGER = DeadLeaderWatch.STAGGER.toMillis();
  static final RaftPeerId LEADER = RaftPeerId.valueOf("n1");
  static final long NEVER = Long.MAX_VALUE;

  @Test
  void aSilenceWithinTheIdleHeartbeatIntervalIsNotProbed() {
    assertThat(PROBE).isGreaterThan(MIN / 2).isLessThan(MIN);
    assertThat(DeadLeaderWatch.next(-1, NEVER, null, 0, PROBE, MIN)).isEqualTo(Step.NOTHING);
    assertThat(DeadLeaderWatch.next(MIN / 2, NEVER, null, 0, PROBE, MIN)).isEqualTo(Step.NOTHING);
    assertThat(DeadLeaderWatch.next(PROBE - 1, NEVER, null, 0, PROBE, MIN)).isEqualTo(Step.NOTHING);
    assertThat(DeadLeaderWatch.next(PROBE, NEVER, null, 0, PROBE, MIN)).isEqualTo(Step.PROBE);
  }

  @Test
  void aRefusalLeadsToAnElectionBeforeTheMinimumElectionTimeoutFirstFollowerFirst() {
    Finding refused = new Finding(LEADER, PROBE, true, 0);
    assertThat(DeadLeaderWatch.next(PROBE + HANDOFF - 1, NEVER, refused, 0, PROBE, MIN)).isEqualTo(Step.NOTHING);
    assertThat(DeadLeaderWatch.next(PROBE + HANDOFF, NEVER, refused, 0, PROBE, MIN)).isEqualTo(Step.ELECT);
    assertThat(PROBE + HANDOFF).as("the first follower stands before Ratis's own timer could").isLessThan(MIN);
    assertThat(DeadLeaderWatch.next(PROBE + HANDOFF, NEVER, refused, 1, PROBE, MIN)).isEqualTo(Step.NOTHING);
    assertThat(DeadLeaderWatch.next(PROBE + DeadLeaderWatch.PERIOD.toMillis() + HANDOFF + STAGGER, NEVER, refused, 1,
        PROBE, MIN)).isEqualTo(Step.ELECT);
  }

  /**
   * The split vote of a kill -9 trial (bench-node, 2026-12-07 21:23:40): the second-ranked follower learnt from its
   * line at once (silence 68 ms), the first-ranked one only from its periodic probe (116 ms). Standing 140 ms after its
   * own finding, the second stood 56 ms after the first, before the first's vote request reached it: both candidates
   * voted for themselves in one term, both lost, and Ratis's timer ended the failover after 1,002 ms. A later-ranked
   * follower must wait for the latest the first one can have found the leader gone, plus the handoff and its stagger.
   */
  @Test
  void aLaterRankedFollowerWaitsForTheFirstOnesSlowestFindingBeforeItStands() {
    Finding early = new Finding(LEADER, 68, true, 0);
    long firstFindsAtTheLatest = PROBE + DeadLeaderWatch.PERIOD.toMillis();
    long firstStandsAtTheLatest = firstFindsAtTheLatest + HANDOFF;
    assertThat(DeadLeaderWatch.next(68 + HANDOFF + STAGGER, 0, early, 1, PROBE, MIN)).isEqualTo(Step.NOTHING);
    assertThat(DeadLeaderWatch.next(firstStandsAtTheLatest + STAGGER - 1, 0, early, 1, PROBE, MIN))
        .isEqualTo(Step.NOTHING);
    assertThat(DeadLeaderWatch.next(firstStandsAtTheLatest + STAGGER, 0, early, 1, PROBE, MIN)).isEqualTo(Step.ELECT);
    // The first-ranked follower still stands right after the handoff.
    assertThat(DeadLeaderWatch.next(68 + HANDOFF, 0, early, 0, PROBE, MIN)).isEqualTo(Step.ELECT);
  }

  @Test
  void aLeaderThatAnsweredIsProbedAgainOnlyAfterAnotherMinimumTimeout() {
    Finding answered = new Finding(LEADER, PROBE, false, 0);
    assertThat(DeadLeaderWatch.next(PROBE + MIN - 1, NEVER, answered, 0, PROBE, MIN)).isEqualTo(Step.NOTHING);
    assertThat(DeadLeaderWatch.next(PROBE + MIN, NEVER, answered, 0, PROBE, MIN)).isEqualTo(Step.PROBE);
  }
  @Test
  void aLineThatEndedAfterTheLeadersLastMessageIsProbedAtOnceAndARefusalElectsAfterTheHandoff() {
    assertThat(DeadLeaderWatch.next(5, 3, null, 0, PROBE, MIN)).isEqualTo(Step.PROBE);
    assertThat(DeadLeaderWatch.next(5, 5, null, 0, PROBE, MIN)).isEqualTo(Step.PROBE);
    Finding refused = new Finding(LEADER, 5, true, 0);
    assertThat(DeadLeaderWatch.next(5 + HANDOFF - 1, 3, refused, 0, PROBE, MIN)).isEqualTo(Step.NOTHING);
    assertThat(DeadLeaderWatch.next(5 + HANDOFF, 3, refused, 0, PROBE, MIN)).isEqualTo(Step.ELECT);
    assertThat(DeadLeaderWatch.next(5 + HANDOFF, 3, refused, 1, PROBE, MIN)).isEqualTo(Step.NOTHING);
  }

  @Test
  void aLineThatEndedBeforeTheLeadersLastMessageSaysNothing() {
    assertThat(DeadLeaderWatch.next(5, 6, null, 0, PROBE, MIN)).isEqualTo(Step.NOTHING);
    assertThat(DeadLeaderWatch.next(-1, 0, null, 0, PROBE, MIN)).isEqualTo(Step.NOTHING);
  }

  @Test
  void aLeaderThatAnsweredIsProbedAgainWhenItsLineEndsAgain() {
    Finding answered = new Finding(LEADER, 5, false, 0);
    assertThat(DeadLeaderWatch.next(20, 16, answered, 0, PROBE, MIN)).as("the end already probed").isEqualTo(Step.NOTHING);
    assertThat(DeadLeaderWatch.next(20, 10, answered, 0, PROBE, MIN)).isEqualTo(Step.PROBE);
  }

  @Test
  void aListeningPortIsNotRefused() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      assertThat(DeadLeaderWatch.refused("127.0.0.1:" + s.getLocalPort())).isFalse();
    }
  }

  @Test
  void aClosedPortIsRefused() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    assertThat(DeadLeaderWatch.refused("127.0.0.1:" + port)).isTrue();
  }

  @Test
  void anAddressWithoutAPortProvesNothing() {
    assertThat(DeadLeaderWatch.refused("127.0.0.1")).isFalse();
    assertThat(DeadLeaderWatch.refused("127.0.0.1:notaport")).isFalse();
  }
}
