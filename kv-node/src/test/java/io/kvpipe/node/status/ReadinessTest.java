package io.kvpipe.node.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReadinessTest {
  private static final ReplicaState.Cdc CDC_OK = new ReplicaState.Cdc(true, true, null, 90, 100, 10);

  private static ReplicaState replica(String group, String role, String leader, long commit, long applied,
                                      ReplicaState.Cdc cdc) {
    return new ReplicaState(group, role, leader, 3, commit, applied, commit, List.of(), cdc);
  }

  @Test
  void readyWhenEveryGroupHasALeaderIsCaughtUpAndItsPublisherIsConnected() {
    Readiness.Result r = Readiness.evaluate(true, List.of(
        replica("g1", "leader", "n1", 100, 100, CDC_OK),
        replica("g2", "follower", "n2", 50, 45, new ReplicaState.Cdc(true, false, null, 40, -1, 5)),
        replica("meta", "follower", "n3", 7, 7, null)), 10);
    assertThat(r.ready()).isTrue();
    assertThat(r.problems()).isEmpty();
    assertThat(r.checks()).extracting(Readiness.Check::name).containsExactly("raft-server", "group g1", "group g2",
        "group meta");
    assertThat(r.toJson()).containsEntry("status", "ready");
  }

  @Test
  void aGroupWithoutALeaderIsNotReady() {
    Readiness.Result r = Readiness.evaluate(true, List.of(replica("g1", "candidate", null, 0, 0, CDC_OK),
        replica("meta", "leader", "n1", 3, 3, null)), 10);
    assertThat(r.ready()).isFalse();
    assertThat(r.problems()).singleElement().asString().startsWith("group g1: no known leader")
        .contains("candidate");
    assertThat(r.toJson()).containsEntry("status", "not ready");
  }

  @Test
  void aReplicaThatIsDownIsNotReadyWhateverElseItShows() {
    ReplicaState down = new ReplicaState("g1", "stopped", "n1", 3, 5, 5, 5, List.of(), CDC_OK,
        "Ratis stopped this replica (CLOSED): applying log index 5 threw java.lang.IllegalStateException: x");
    Readiness.Result r = Readiness.evaluate(true, List.of(down), 10);
    assertThat(r.ready()).isFalse();
    assertThat(r.problems()).singleElement().asString().startsWith("group g1: Ratis stopped this replica")
        .contains("IllegalStateException");
  }

  @Test
  void aReplicaFarBehindItsCommitIndexIsNotReadyButASmallLagIs() {
    assertThat(Readiness.evaluate(true, List.of(replica("g1", "follower", "n2", 1000, 990, null)), 10).ready())
        .isTrue();
    Readiness.Result r = Readiness.evaluate(true, List.of(replica("g1", "follower", "n2", 1000, 989, null)), 10);
    assertThat(r.ready()).isFalse();
    assertThat(r.problems()).singleElement().asString().contains("11 entries behind the commit index 1000");
  }

  @Test
  void aLeaderWhosePublisherIsDownOrDisconnectedIsNotReady() {
    Readiness.Result stopped = Readiness.evaluate(true, List.of(replica("g1", "leader", "n1", 5, 5,
        new ReplicaState.Cdc(true, false, null, 5, -1, 0))), 10);
    assertThat(stopped.problems()).singleElement().asString().contains("publisher is not running");
    Readiness.Result disconnected = Readiness.evaluate(true, List.of(replica("g1", "leader", "n1", 5, 5,
        new ReplicaState.Cdc(true, true, "no connection to Kafka (k:9092)", 5, 5, 0))), 10);
    assertThat(disconnected.problems()).singleElement().asString().contains("cannot reach Kafka",
        "no connection to Kafka");
  }

  @Test
  void withCdcOffOnlyLeadershipAndCatchUpCount() {
    assertThat(Readiness.evaluate(true, List.of(replica("g1", "leader", "n1", 5, 5,
        new ReplicaState.Cdc(false, false, null, 0, -1, 0))), 10).ready()).isTrue();
  }

  @Test
  void aStoppedServerIsNotReadyEvenWithoutGroups() {
    assertThat(Readiness.evaluate(true, List.of(), 10).ready()).isTrue();
    assertThat(Readiness.evaluate(false, List.of(), 10).problems()).containsExactly("raft-server: not running");
  }
}
