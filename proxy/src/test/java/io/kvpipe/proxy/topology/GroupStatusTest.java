package io.kvpipe.proxy.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.wire.Reply;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GroupStatusTest {
  private static final List<Peer> PEERS = List.of(Peer.parse("n1@h:1"), Peer.parse("n2@h:2"), Peer.parse("n3@h:3"));

  @Test
  void lagsAreMeasuredAgainstTheLeaderAndAnUnreachableReplicaKeepsTheLeadersRecordOfIt() {
    ReplicaInfo n1 = new ReplicaInfo("n1", "leader", "n1", 4, 100, 99, Map.of("n2", 12L, "n3", 4000L),
        Map.of("n1", 100L, "n2", 100L, "n3", 70L));
    ReplicaInfo n2 = new ReplicaInfo("n2", "follower", "n1", 0, 98, 95, Map.of(), Map.of());
    GroupStatus s = GroupStatus.aggregate("g1", "g1", PEERS, Map.of("n1", n1, "n2", n2), Map.of("n3", "refused"),
        new Reply.Status(1, HashRanges.EMPTY, 99, 90, 6, 600, 10), null, 1234);
    assertThat(s.leader()).isEqualTo("n1");
    assertThat(s.term()).isEqualTo(4);
    assertThat(s.replicas()).containsExactly(
        new GroupStatus.Replica("n1", "leader", 100L, 99L, 0L, 0L, 0L, null),
        new GroupStatus.Replica("n2", "follower", 98L, 95L, 2L, 4L, 12L, null),
        new GroupStatus.Replica("n3", "unreachable", 70L, null, 30L, null, 4000L, "refused"));
    assertThat(s.cdc()).isEqualTo(new GroupStatus.Cdc(90, 6, 10, null));
  }

  @Test
  void withoutALeaderThereAreNoLagsAndTheNewestTermWinsBetweenTwoClaims() {
    ReplicaInfo c = new ReplicaInfo("n1", "candidate", null, 0, 10, 10, Map.of(), Map.of());
    GroupStatus none = GroupStatus.aggregate("g1", "g1", PEERS, Map.of("n1", c), Map.of(), null, "NO_LEADER", 1);
    assertThat(none.hasLeader()).isFalse();
    assertThat(none.replicas().get(0)).isEqualTo(new GroupStatus.Replica("n1", "candidate", 10L, 10L, null, null,
        null, null));
    assertThat(none.replicas().get(1).role()).isEqualTo("unreachable");
    assertThat(none.cdc().error()).isEqualTo("NO_LEADER");

    ReplicaInfo old = new ReplicaInfo("n1", "leader", "n1", 3, 10, 10, Map.of(), Map.of());
    ReplicaInfo fresh = new ReplicaInfo("n2", "leader", "n2", 5, 12, 12, Map.of(), Map.of());
    assertThat(GroupStatus.aggregate("g1", "g1", PEERS, Map.of("n1", old, "n2", fresh), Map.of(), null, null, 1)
        .leader()).isEqualTo("n2");
  }
}
