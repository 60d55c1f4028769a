package io.kvpipe.proxy.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.MetaState;
import io.kvpipe.common.topology.Migration;
import io.kvpipe.common.topology.RingSpec;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.TopologyEvent;
import io.kvpipe.common.topology.TopologyTransitions;
import io.kvpipe.common.wire.MigrationToken;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopologyViewTest {
  static TopologyView view() {
    MetaState s = TopologyTransitions.apply(MetaState.EMPTY, new MetaCommand.Bootstrap(List.of(
        ShardGroup.parse("g1=n1@127.0.0.1:1"), ShardGroup.parse("g2=n2@127.0.0.1:2"),
        ShardGroup.parse("g3=n3@127.0.0.1:3")), List.of(), 32, 1)).state();
    return new TopologyView(s.topology());
  }

  @Test
  void theVersionAnswerIsTheJsonOfTheVersionAndEpoch() throws Exception {
    TopologyView v = view();
    var parsed = io.kvpipe.common.topology.TopologyCodec.json().readTree(v.versionJson());
    assertThat(parsed.size()).isEqualTo(2);
    assertThat(parsed.get("version").asLong()).isEqualTo(v.version());
    assertThat(parsed.get("epoch").asLong()).isEqualTo(v.topology().epoch());
  }

  @Test
  void routesExactlyLikeTheSharedRing() {
    TopologyView v = view();
    HashRing ring = HashRing.of(List.of("g3", "g1", "g2"), 32);
    for (int i = 0; i < 5000; i++) {
      byte[] key = ("key-" + i).getBytes(StandardCharsets.UTF_8);
      assertThat(v.groupFor(key)).isEqualTo(ring.groupFor(key));
    }
    long total = v.ownership().values().stream().mapToLong(r -> r.width()).sum();
    assertThat(total).isEqualTo(HashRange.RING_SIZE);
  }

  @Test
  void anEmptyTopologyRoutesNothing() {
    assertThat(TopologyView.EMPTY.isReady()).isFalse();
    assertThat(TopologyView.EMPTY.groupFor(new byte[] {1})).isNull();
    assertThat(TopologyView.EMPTY.ownership()).isEmpty();
  }

  @Test
  void sseFramesCarryTheVersionAsIdAndJsonData() {
    String snap = SseHub.snapshotFrame(view());
    assertThat(snap).startsWith("id: 1\nevent: snapshot\ndata: {").endsWith("}\n\n");
    assertThat(snap.substring(0, snap.length() - 2)).doesNotContain("\n\n");
    String change = SseHub.changeFrame(new TopologyEvent(7, 99, TopologyEvent.NODE_DOWN, Map.of("node", "n1")));
    assertThat(change).startsWith("id: 7\nevent: change\ndata: ").contains("\"NODE_DOWN\"").endsWith("\n\n");
  }

  @Test
  void readsFallBackToThePreviousOwnerOnlyForMovedKeysWhileTheMigrationIsInFlightOnTheNewRing() {
    MetaState s = TopologyTransitions.apply(MetaState.EMPTY, new MetaCommand.Bootstrap(List.of(
        ShardGroup.parse("g1=n1@127.0.0.1:1"), ShardGroup.parse("g2=n2@127.0.0.1:2")), List.of(), 32, 1)).state();
    s = TopologyTransitions.apply(s, new MetaCommand.AddGroup(ShardGroup.parse("g3=n3@127.0.0.1:3"), null, 2)).state();
    RingSpec before = s.topology().ring();
    Migration copying = new Migration("m1", Migration.ADD_GROUP, "copying", 1, 2, before, List.of("g1", "g2"),
        List.of("g3"), 0, 0, 1, 1, Map.of());
    s = TopologyTransitions.apply(s, new MetaCommand.PutMigration(copying, null, 3)).state();
    assertThat(new TopologyView(s.topology()).fallbackGroupFor("k".getBytes())).as("ring not switched yet").isNull();
    s = TopologyTransitions.apply(s, new MetaCommand.SetRing(new RingSpec(32, List.of("g1", "g2", "g3")), 2, null, 4))
        .state();
    TopologyView v = new TopologyView(s.topology());
    HashRing old = before.toRing();
    int moved = 0;
    for (int i = 0; i < 2000; i++) {
      byte[] key = ("key-" + i).getBytes(StandardCharsets.UTF_8);
      String fallback = v.fallbackGroupFor(key);
      if (old.groupFor(key).equals(v.groupFor(key))) {
        assertThat(fallback).isNull();
      } else {
        assertThat(v.groupFor(key)).isEqualTo("g3");
        assertThat(fallback).isEqualTo(old.groupFor(key));
        moved++;
      }
    }
    assertThat(moved).isBetween(400, 900);
    Migration done = new Migration("m1", Migration.ADD_GROUP, Migration.DONE, 1, 2, before, List.of("g1", "g2"),
        List.of("g3"), 0, 0, 1, 2, Map.of());
    s = TopologyTransitions.apply(s, new MetaCommand.PutMigration(done, null, 5)).state();
    TopologyView after = new TopologyView(s.topology());
    for (int i = 0; i < 200; i++) {
      assertThat(after.fallbackGroupFor(("key-" + i).getBytes(StandardCharsets.UTF_8))).isNull();
    }
  }

  @Test
  void noReadFallsBackToADrainedGroupOnceItLeftTheTopology() {
    MetaState s = TopologyTransitions.apply(MetaState.EMPTY, new MetaCommand.Bootstrap(List.of(
        ShardGroup.parse("g1=n1@127.0.0.1:1"), ShardGroup.parse("g2=n2@127.0.0.1:2")), List.of(), 32, 1)).state();
    RingSpec before = s.topology().ring();
    s = TopologyTransitions.apply(s, new MetaCommand.SetRing(new RingSpec(32, List.of("g1")), 2, null, 2)).state();
    Migration finishing = new Migration("m1", Migration.REMOVE_GROUP, "finishing", 1, 2, before, List.of("g2"),
        List.of("g1"), 0, 0, 1, 1, Map.of());
    s = TopologyTransitions.apply(s, new MetaCommand.PutMigration(finishing, null, 3)).state();
    byte[] moved = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> ("key-" + i).getBytes())
        .filter(k -> before.toRing().groupFor(k).equals("g2")).findFirst().orElseThrow();
    assertThat(new TopologyView(s.topology()).fallbackGroupFor(moved)).isEqualTo("g2");
    s = TopologyTransitions.apply(s, new MetaCommand.RemoveGroup("g2", null, 4)).state();
    assertThat(s.topology().inFlightMigration()).isPresent();
    assertThat(new TopologyView(s.topology()).fallbackGroupFor(moved)).isNull();
  }

  @Test
  void aCancelsInverseIsKnownForTheOldRecordsItsNewOwnersHoldAndEachPlanHasItsToken() {
    MetaState s = TopologyTransitions.apply(MetaState.EMPTY, new MetaCommand.Bootstrap(List.of(
        ShardGroup.parse("g1=n1@127.0.0.1:1"), ShardGroup.parse("g2=n2@127.0.0.1:2")), List.of(), 32, 1)).state();
    s = TopologyTransitions.apply(s, new MetaCommand.AddGroup(ShardGroup.parse("g3=n3@127.0.0.1:3"), null, 2)).state();
    RingSpec before = s.topology().ring();
    RingSpec with3 = new RingSpec(32, List.of("g1", "g2", "g3"));
    s = TopologyTransitions.apply(s, new MetaCommand.SetRing(with3, 2, null, 3)).state();
    Migration forward = new Migration("m1", Migration.ADD_GROUP, "copying", 1, 2, before, List.of("g1", "g2"),
        List.of("g3"), 0, 0, 1, 1, Map.of());
    TopologyView f = new TopologyView(TopologyTransitions.apply(s, new MetaCommand.PutMigration(forward, null, 4))
        .state().topology());
    assertThat(f.oldRecordsOnNewOwner()).isFalse();
    assertThat(f.migrationToken()).isEqualTo(new MigrationToken("m1", 2));

    s = TopologyTransitions.apply(s, new MetaCommand.SetRing(before, 3, null, 5)).state();
    Migration inverse = new Migration("m1", Migration.ADD_GROUP, "cancelling", 2, 3, with3, List.of("g3"),
        List.of("g1", "g2"), 0, 0, 1, 1, Map.of("cancelled", "true"));
    TopologyView i = new TopologyView(TopologyTransitions.apply(s, new MetaCommand.PutMigration(inverse, null, 6))
        .state().topology());
    assertThat(i.oldRecordsOnNewOwner()).isTrue();
    assertThat(i.migrationToken()).isEqualTo(new MigrationToken("m1", 3));
    assertThat(new TopologyView(s.topology()).migrationToken()).isNull();
  }
}
