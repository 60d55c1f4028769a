package io.kvpipe.proxy.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.MetaState;
import io.kvpipe.common.topology.RingSpec;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.common.topology.TopologyTransitions;
import io.kvpipe.common.wire.ScanCursor;
import java.util.List;
import org.junit.jupiter.api.Test;

class MigrationPlanTest {
  static Topology twoGroups() {
    MetaState s = TopologyTransitions.apply(MetaState.EMPTY, new MetaCommand.Bootstrap(List.of(
        ShardGroup.parse("g1=n1@127.0.0.1:1"), ShardGroup.parse("g2=n2@127.0.0.1:2")), List.of(), 64, 1)).state();
    s = TopologyTransitions.apply(s, new MetaCommand.AddGroup(ShardGroup.parse("g3=n3@127.0.0.1:3"), null, 2)).state();
    return s.topology();
  }

  @Test
  void addingAThirdGroupMovesAboutAThirdOfTheRingFromEachSourceToTheNewGroup() {
    Topology t = twoGroups();
    MigrationPlan plan = MigrationPlan.addGroup(t, "g3");
    assertThat(plan.fromEpoch()).isEqualTo(1);
    assertThat(plan.toEpoch()).isEqualTo(2);
    assertThat(plan.nextRing().members()).containsExactly("g1", "g2", "g3");
    assertThat(plan.sources()).containsExactly("g1", "g2");
    assertThat(plan.targets()).containsExactly("g3");
    assertThat(plan.transfers()).extracting(MigrationPlan.Transfer::key).containsExactly("g1>g3", "g2>g3");
    // Exactly what g3 owns afterwards, nothing else, moves.
    assertThat(plan.receivedBy("g3")).isEqualTo(plan.rangesAfter("g3"));
    assertThat(plan.movedFraction()).isBetween(0.25, 0.42);
    for (MigrationPlan.Transfer tr : plan.transfers()) {
      HashRanges before = t.ring().toRing().rangesOf(tr.source());
      assertThat(before.intersect(tr.ranges())).isEqualTo(tr.ranges());
    }
    assertThat(plan.fenceFirst()).containsExactly("g1", "g2");
    assertThat(plan.fenceSecond()).containsExactly("g3");
  }

  @Test
  void removingAGroupMovesOnlyItsRangesAndTheInverseUndoesAPlan() {
    Topology t = twoGroups();
    MigrationPlan plan = MigrationPlan.removeGroup(t, "g2");
    assertThat(plan.sources()).containsExactly("g2");
    assertThat(plan.targets()).containsExactly("g1");
    assertThat(plan.rangesAfter("g2")).isEqualTo(HashRanges.EMPTY);
    assertThat(plan.rangesAfter("g1")).isEqualTo(HashRanges.FULL);
    assertThat(plan.fenceFirst()).containsExactly("g2");

    MigrationPlan add = MigrationPlan.addGroup(t, "g3");
    MigrationPlan back = add.inverse();
    assertThat(back.fromEpoch()).isEqualTo(2);
    assertThat(back.toEpoch()).isEqualTo(3);
    assertThat(back.nextRing()).isEqualTo(add.previousRing());
    assertThat(back.transfers()).extracting(MigrationPlan.Transfer::key).containsExactly("g3>g1", "g3>g2");
    assertThat(back.fenceFirst()).containsExactly("g3");
  }

  @Test
  void refusesWhatCannotBePlanned() {
    Topology t = twoGroups();
    assertThatThrownBy(() -> MigrationPlan.addGroup(t, "g1")).isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
    assertThatThrownBy(() -> MigrationPlan.removeGroup(t, "g9")).isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_GROUP));
    Topology one = TopologyTransitions.apply(MetaState.EMPTY, new MetaCommand.Bootstrap(List.of(
        ShardGroup.parse("g1=n1@127.0.0.1:1")), List.of(), 8, 1)).state().topology();
    assertThatThrownBy(() -> MigrationPlan.removeGroup(one, "g1")).isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
    // An off-ring group's removal moves nothing.
    assertThat(MigrationPlan.removeGroup(t, "g3").transfers()).isEmpty();
    assertThat(MigrationPlan.between(new RingSpec(8, List.of("g1")), 4, new RingSpec(8, List.of("g1")), 5)
        .transfers()).isEmpty();
  }

  @Test
  void cursorsRoundTripAndGarbageIsRefused() {
    ScanCursor c = new ScanCursor(4_000_000_000L, "k\u00e9y/1".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    ScanCursor back = MigrationRecord.decodeCursor(MigrationRecord.encodeCursor(c));
    assertThat(back.position()).isEqualTo(c.position());
    assertThat(back.key()).isEqualTo(c.key());
    assertThatThrownBy(() -> MigrationRecord.decodeCursor("***")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MigrationRecord.decodeCursor("AAA")).isInstanceOf(IllegalArgumentException.class);
  }
}
