package io.kvpipe.node.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.topology.Migration;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.RingSpec;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.Topology;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReconcilePlanTest {
  static final Peer N1 = Peer.parse("n1@127.0.0.1:7001");
  static final Peer N2 = Peer.parse("n2@127.0.0.1:7002");
  static final Peer N3 = Peer.parse("n3@127.0.0.1:7003");
  static final Peer N4 = Peer.parse("n4@127.0.0.1:7004");
  static final ShardGroup G1 = new ShardGroup("g1", List.of(N1, N2, N3));
  static final ShardGroup G2 = new ShardGroup("g2", List.of(N1, N2, N3));

  static Topology topology(List<ShardGroup> groups, List<String> ring, Migration... migrations) {
    return new Topology(5, 1, new RingSpec(16, ring), groups, List.of(N1, N2, N3), List.of(), List.of(migrations), 0);
  }

  static Migration membership(String kind, String phase, String group, Peer peer) {
    return new Migration("m1", kind, phase, 1, 1, null, List.of(), List.of(group), 0, 0, 0, 0,
        Map.of(ReconcilePlan.ATTR_GROUP, group, ReconcilePlan.ATTR_PEER, peer.toString()));
  }

  @Test
  void nothingIsDoneOnATopologyThatIsNotBootstrapped() {
    assertThat(ReconcilePlan.plan(Topology.EMPTY, "n1", Set.of("g1"), Set.of("g1"), "meta")).isEmpty();
  }

  @Test
  void aListedGroupNotHostedIsCreatedWithItsPeersAndAHostedOneIsAdoptedOnce() {
    Topology t = topology(List.of(G1, G2), List.of("g1"));
    assertThat(ReconcilePlan.plan(t, "n1", Set.of("g1"), Set.of(), "meta")).containsExactly(
        new ReplicaAction.Adopt("g1"), new ReplicaAction.Create("g2", G2.peers()));
    assertThat(ReconcilePlan.plan(t, "n1", Set.of("g1", "g2"), Set.of("g1", "g2"), "meta")).isEmpty();
    assertThat(ReconcilePlan.plan(t, "n4", Set.of(), Set.of(), "meta")).isEmpty();
  }

  @Test
  void anAddPeerMigrationInFlightMakesTheNamedNodeJoinUntilItIsOver() {
    Topology joining = topology(List.of(G1), List.of("g1"), membership("add-peer", "joining", "g1", N4));
    assertThat(ReconcilePlan.plan(joining, "n4", Set.of(), Set.of(), "meta"))
        .containsExactly(new ReplicaAction.Join("g1"));
    assertThat(ReconcilePlan.plan(joining, "n4", Set.of("g1"), Set.of("g1"), "meta")).isEmpty();
    assertThat(ReconcilePlan.plan(joining, "n2", Set.of("g1"), Set.of("g1"), "meta")).isEmpty();

    Topology failed = topology(List.of(G1), List.of("g1"), membership("add-peer", "failed", "g1", N4));
    assertThat(ReconcilePlan.plan(failed, "n4", Set.of("g1"), Set.of("g1"), "meta"))
        .containsExactly(new ReplicaAction.Remove("g1", ReplicaAction.Remove.NOT_LEAVING));
  }

  @Test
  void aManagedReplicaIsRemovedWhenNoLongerListedUnlessAMigrationNamesIt() {
    ShardGroup without1 = new ShardGroup("g1", List.of(N2, N3, N4));
    Topology t = topology(List.of(without1), List.of("g1"));
    assertThat(ReconcilePlan.plan(t, "n1", Set.of("g1"), Set.of("g1"), "meta"))
        .containsExactly(new ReplicaAction.Remove("g1", ReplicaAction.Remove.NOT_LEAVING));
    Topology removing = topology(List.of(without1), List.of("g1"), membership("remove-peer", "reconfiguring", "g1",
        N1));
    assertThat(ReconcilePlan.plan(removing, "n1", Set.of("g1"), Set.of("g1"), "meta")).isEmpty();

    Topology gone = topology(List.of(G2), List.of("g2"));
    assertThat(ReconcilePlan.plan(gone, "n1", Set.of("g1", "g2"), Set.of("g1", "g2"), "meta"))
        .containsExactly(new ReplicaAction.Remove("g1", -1));
  }

  @Test
  void aGroupThatLeftTheTopologyIsRemovedWithTheIndexItsEventsWerePublishedUpTo() {
    Migration drain = new Migration("m2", Migration.REMOVE_GROUP, Migration.DONE, 1, 2, null, List.of("g1"),
        List.of("g2"), 0, 0, 0, 0, Map.of(Migration.PUBLISHED_UP_TO + "g1", "4711"));
    Topology t = topology(List.of(G2), List.of("g2"), drain);
    assertThat(ReconcilePlan.plan(t, "n1", Set.of("g1", "g2"), Set.of("g1", "g2"), "meta"))
        .containsExactly(new ReplicaAction.Remove("g1", 4711));
  }

  @Test
  void aReplicaOfAnEarlierIncarnationIsAnotherGroup() {
    ShardGroup again = new ShardGroup("g1", List.of(N1, N2, N3), 42);
    Migration drain = new Migration("m2", Migration.REMOVE_GROUP, Migration.DONE, 1, 2, null, List.of("g1"),
        List.of("g2"), 0, 0, 0, 0, Map.of(Migration.PUBLISHED_UP_TO + "g1", "77"));
    Topology t = topology(List.of(again, G2), List.of("g1", "g2"), drain);
    assertThat(ReconcilePlan.plan(t, "n1", Set.of("g1", "g2"), Set.of("g1", "g2"), "meta")).containsExactly(
        new ReplicaAction.Create("g1.42", again.peers()), new ReplicaAction.Remove("g1", 77));
    assertThat(ReconcilePlan.plan(t, "n1", Set.of("g1.42", "g2"), Set.of("g1.42", "g2"), "meta")).isEmpty();
  }

  @Test
  void aGroupTheTopologyNeverGaveThisNodeAndTheMetaGroupAreLeftAlone() {
    Topology t = topology(List.of(G2), List.of("g2"));
    assertThat(ReconcilePlan.plan(t, "n1", Set.of("g2", "g9", "meta"), Set.of("g2"), "meta")).isEmpty();
  }

  @Test
  void aMalformedMigrationRecordNamesNobody() {
    Migration bad = new Migration("m1", "add-peer", "joining", 1, 1, null, List.of(), List.of(), 0, 0, 0, 0,
        Map.of(ReconcilePlan.ATTR_GROUP, "g1", ReconcilePlan.ATTR_PEER, "not a peer"));
    assertThat(ReconcilePlan.plan(topology(List.of(G1), List.of("g1"), bad), "n4", Set.of(), Set.of(), "meta"))
        .isEmpty();
  }
}
