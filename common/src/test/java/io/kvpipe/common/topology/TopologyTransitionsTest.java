package io.kvpipe.common.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TopologyTransitionsTest {
  static final ShardGroup G1 = ShardGroup.parse("g1=n1@127.0.0.1:9001,n2@127.0.0.1:9002,n3@127.0.0.1:9003");
  static final ShardGroup G2 = ShardGroup.parse("g2=n1@127.0.0.1:9001,n2@127.0.0.1:9002,n3@127.0.0.1:9003");
  static final List<Peer> META = List.of(Peer.parse("n1@127.0.0.1:9001"), Peer.parse("n4@127.0.0.1:9004"));

  static MetaState bootstrapped() {
    return TopologyTransitions.apply(MetaState.EMPTY,
        new MetaCommand.Bootstrap(List.of(G1, G2), META, 64, 1000)).state();
  }

  @Test
  void bootstrapInstallsEpochOneWithEveryGroupOnTheRingOnce() {
    MetaState s = bootstrapped();
    Topology t = s.topology();
    assertThat(t.version()).isEqualTo(1);
    assertThat(t.epoch()).isEqualTo(1);
    assertThat(t.ringMembers()).containsExactly("g1", "g2");
    assertThat(t.nodes()).extracting(NodeInfo::id).containsExactly("n1", "n2", "n3", "n4");
    assertThat(t.nodes()).allMatch(NodeInfo::up);
    assertThat(s.events()).extracting(TopologyEvent::type).containsExactly(TopologyEvent.BOOTSTRAP);

    var again = TopologyTransitions.apply(s, new MetaCommand.Bootstrap(List.of(G1), List.of(), 8, 2000));
    assertThat(again.reply().ok()).isTrue();
    assertThat(again.reply().changed()).isFalse();
    assertThat(again.state()).isSameAs(s);
  }

  @Test
  void commandsBeforeBootstrapAreRefused() {
    var r = TopologyTransitions.apply(MetaState.EMPTY, new MetaCommand.SetNodeHealth("n1", false, "x", 1));
    assertThat(r.reply().ok()).isFalse();
    assertThat(r.reply().error()).isEqualTo("UNAVAILABLE");
    assertThat(r.state()).isSameAs(MetaState.EMPTY);
  }

  @Test
  void nodeHealthChangesBumpTheVersionOnlyOnTransitions() {
    MetaState s = bootstrapped();
    var down = TopologyTransitions.apply(s, new MetaCommand.SetNodeHealth("n2", false, "probe failed", 5000));
    assertThat(down.reply().changed()).isTrue();
    assertThat(down.state().topology().version()).isEqualTo(2);
    assertThat(down.state().topology().node("n2").orElseThrow().up()).isFalse();
    assertThat(down.state().topology().node("n2").orElseThrow().changedAtMs()).isEqualTo(5000);
    assertThat(down.state().events().getLast().type()).isEqualTo(TopologyEvent.NODE_DOWN);

    var downAgain = TopologyTransitions.apply(down.state(), new MetaCommand.SetNodeHealth("n2", false, "x", 6000));
    assertThat(downAgain.reply().changed()).isFalse();
    assertThat(downAgain.state().topology().version()).isEqualTo(2);

    var unknown = TopologyTransitions.apply(s, new MetaCommand.SetNodeHealth("n9", false, "x", 6000));
    assertThat(unknown.reply().error()).isEqualTo("NOT_FOUND");
  }

  @Test
  void groupsAreAddedOffTheRingAndOnlyRemovedOffIt() {
    MetaState s = bootstrapped();
    ShardGroup g3 = ShardGroup.parse("g3=n5@127.0.0.1:9005");
    var added = TopologyTransitions.apply(s, new MetaCommand.AddGroup(g3, 1L, 10));
    assertThat(added.reply().ok()).isTrue();
    Topology t = added.state().topology();
    assertThat(t.group("g3")).isPresent();
    assertThat(t.ringMembers()).containsExactly("g1", "g2");
    assertThat(t.node("n5")).isPresent();

    var dup = TopologyTransitions.apply(added.state(), new MetaCommand.AddGroup(g3, null, 11));
    assertThat(dup.reply().error()).isEqualTo("CONFLICT");

    var ring = TopologyTransitions.apply(added.state(),
        new MetaCommand.SetRing(new RingSpec(64, List.of("g1", "g2", "g3")), 2, null, 12));
    assertThat(ring.state().topology().epoch()).isEqualTo(2);
    var removeOnRing = TopologyTransitions.apply(ring.state(), new MetaCommand.RemoveGroup("g3", null, 13));
    assertThat(removeOnRing.reply().error()).isEqualTo("CONFLICT");

    var staleEpoch = TopologyTransitions.apply(ring.state(),
        new MetaCommand.SetRing(new RingSpec(64, List.of("g1", "g2")), 2, null, 14));
    assertThat(staleEpoch.reply().error()).isEqualTo("CONFLICT");

    var removeOff = TopologyTransitions.apply(added.state(), new MetaCommand.RemoveGroup("g3", null, 15));
    assertThat(removeOff.reply().ok()).isTrue();
    assertThat(removeOff.state().topology().node("n5")).isEmpty();
  }

  @Test
  void eachAddOfAGroupIsANewIncarnationWithItsOwnRaftName() {
    MetaState s = bootstrapped();
    assertThat(s.topology().group("g1").orElseThrow().raftName()).isEqualTo("g1");
    ShardGroup g3 = ShardGroup.parse("g3=n1@127.0.0.1:9001");
    s = TopologyTransitions.apply(s, new MetaCommand.AddGroup(g3, null, 1)).state();
    ShardGroup first = s.topology().group("g3").orElseThrow();
    assertThat(first.incarnation()).isEqualTo(s.topology().version());
    s = TopologyTransitions.apply(s, new MetaCommand.SetGroupPeers("g3", List.of(Peer.parse("n2@127.0.0.1:9002")),
        null, 2)).state();
    assertThat(s.topology().group("g3").orElseThrow().incarnation()).isEqualTo(first.incarnation());
    s = TopologyTransitions.apply(s, new MetaCommand.RemoveGroup("g3", null, 3)).state();
    s = TopologyTransitions.apply(s, new MetaCommand.AddGroup(g3, null, 4)).state();
    ShardGroup second = s.topology().group("g3").orElseThrow();
    assertThat(second.incarnation()).isGreaterThan(first.incarnation());
    assertThat(second.raftName()).isEqualTo("g3." + second.incarnation()).isNotEqualTo(first.raftName());

    String longest = "g".repeat(63);
    var tooLong = TopologyTransitions.apply(s, new MetaCommand.AddGroup(ShardGroup.parse(longest
        + "=n1@127.0.0.1:9001"), null, 5));
    assertThat(tooLong.reply().error()).isEqualTo("MALFORMED_REQUEST");
    assertThat(tooLong.reply().message()).contains("too long");
  }

  @Test
  void expectedVersionGuardsRacingCoordinators() {
    MetaState s = bootstrapped();
    var stale = TopologyTransitions.apply(s, new MetaCommand.AddGroup(ShardGroup.parse("g3=n1@127.0.0.1:9001"), 7L, 1));
    assertThat(stale.reply().error()).isEqualTo("CONFLICT");
    assertThat(stale.state()).isSameAs(s);
  }

  @Test
  void aNodeWithTwoAddressesIsRefusedWithoutChange() {
    MetaState s = bootstrapped();
    var r = TopologyTransitions.apply(s, new MetaCommand.AddGroup(ShardGroup.parse("g3=n1@127.0.0.1:9999"), null, 1));
    assertThat(r.reply().error()).isEqualTo("MALFORMED_REQUEST");
    assertThat(r.state()).isSameAs(s);
  }

  @Test
  void migrationsArePutAndRemoved() {
    MetaState s = bootstrapped();
    Migration m = new Migration("m1", "add-group", "copy", 1, 2, new RingSpec(64, List.of("g1", "g2")),
        List.of("g1", "g2"), List.of("g3"), 10, 100, 1, 2, java.util.Map.of("cursor", "abc"));
    var put = TopologyTransitions.apply(s, new MetaCommand.PutMigration(m, null, 20));
    assertThat(put.state().topology().migration("m1")).contains(m);
    var rm = TopologyTransitions.apply(put.state(), new MetaCommand.RemoveMigration("m1", null, 21));
    assertThat(rm.state().topology().migrations()).isEmpty();
    var rmAgain = TopologyTransitions.apply(rm.state(), new MetaCommand.RemoveMigration("m1", null, 22));
    assertThat(rmAgain.reply().changed()).isFalse();
  }

  static Migration migration(String id, String phase, long updatedAt) {
    return new Migration(id, Migration.ADD_GROUP, phase, 1, 2, new RingSpec(64, List.of("g1", "g2")),
        List.of("g1", "g2"), List.of("g3"), 0, 0, 1, updatedAt, java.util.Map.of("group", "g3"));
  }

  @Test
  void onlyOneMigrationIsInFlightAndEndedOnesAreKeptAsBoundedHistory() {
    MetaState s = bootstrapped();
    s = TopologyTransitions.apply(s, new MetaCommand.PutMigration(migration("m1", "copying", 10), null, 10)).state();
    var second = TopologyTransitions.apply(s, new MetaCommand.PutMigration(migration("m2", "pending", 11), null, 11));
    assertThat(second.reply().error()).isEqualTo("CONFLICT");
    assertThat(second.reply().message()).contains("m1");
    assertThat(second.state()).isSameAs(s);

    var update = TopologyTransitions.apply(s, new MetaCommand.PutMigration(migration("m1", "purging", 12), null, 12));
    assertThat(update.reply().ok()).isTrue();
    assertThat(update.state().topology().inFlightMigration().orElseThrow().phase()).isEqualTo("purging");

    s = TopologyTransitions.apply(update.state(),
        new MetaCommand.PutMigration(migration("m1", Migration.DONE, 13), null, 13)).state();
    assertThat(s.topology().inFlightMigration()).isEmpty();
    var revive = TopologyTransitions.apply(s, new MetaCommand.PutMigration(migration("m1", "copying", 14), null, 14));
    assertThat(revive.reply().error()).isEqualTo("CONFLICT");

    for (int i = 0; i < Migration.MAX_HISTORY + 5; i++) {
      var started = TopologyTransitions.apply(s,
          new MetaCommand.PutMigration(migration("h" + i, "pending", 100 + 2L * i), null, 100 + 2L * i));
      assertThat(started.reply().ok()).as("h" + i).isTrue();
      s = TopologyTransitions.apply(started.state(),
          new MetaCommand.PutMigration(migration("h" + i, Migration.CANCELLED, 101 + 2L * i), null, 101)).state();
    }
    List<Migration> kept = s.topology().migrations();
    assertThat(kept).hasSize(Migration.MAX_HISTORY);
    assertThat(kept).extracting(Migration::id).doesNotContain("m1", "h0", "h4").contains("h5", "h24");
  }

  @Test
  void aDrainedGroupCanBeRemovedByItsOwnMigrationsLastStepOnly() {
    MetaState s = bootstrapped();
    ShardGroup g3 = ShardGroup.parse("g3=n5@127.0.0.1:9005");
    s = TopologyTransitions.apply(s, new MetaCommand.AddGroup(g3, null, 2)).state();
    Migration copying = new Migration("m1", Migration.REMOVE_GROUP, "copying", 1, 2,
        new RingSpec(64, List.of("g1", "g2")), List.of("g3"), List.of("g1"), 0, 0, 1, 3, java.util.Map.of());
    s = TopologyTransitions.apply(s, new MetaCommand.PutMigration(copying, null, 3)).state();
    assertThat(TopologyTransitions.apply(s, new MetaCommand.RemoveGroup("g3", null, 4)).reply().error())
        .isEqualTo("CONFLICT");
    Migration finishing = new Migration("m1", Migration.REMOVE_GROUP, "finishing", 1, 2,
        new RingSpec(64, List.of("g1", "g2")), List.of("g3"), List.of("g1"), 0, 0, 1, 5, java.util.Map.of());
    s = TopologyTransitions.apply(s, new MetaCommand.PutMigration(finishing, null, 5)).state();
    assertThat(TopologyTransitions.apply(s, new MetaCommand.RemoveGroup("g3", null, 6)).reply().ok()).isTrue();
  }

  @Test
  void eventLogIsBoundedAndReportsTruncation() {
    MetaState s = bootstrapped();
    for (int i = 0; i < MetaState.MAX_EVENTS + 10; i++) {
      s = TopologyTransitions.apply(s, new MetaCommand.SetNodeHealth("n1", i % 2 == 1, "flap", i)).state();
    }
    long version = s.topology().version();
    assertThat(version).isEqualTo(MetaState.MAX_EVENTS + 11);
    assertThat(s.events()).hasSize(MetaState.MAX_EVENTS);
    assertThat(s.events().getLast().version()).isEqualTo(version);

    var recent = s.eventsSince(version - 3, 100);
    assertThat(recent.truncated()).isFalse();
    assertThat(recent.events()).extracting(TopologyEvent::version).containsExactly(version - 2, version - 1, version);
    assertThat(s.eventsSince(0, 100).truncated()).isTrue();
    assertThat(s.eventsSince(0, 100).events()).hasSize(100);
    assertThat(s.eventsSince(version, 100).events()).isEmpty();
    assertThat(s.eventsSince(version, 100).truncated()).isFalse();
  }
}
