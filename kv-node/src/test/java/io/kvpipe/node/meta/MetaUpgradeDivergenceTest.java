package io.kvpipe.node.meta;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.MetaState;
import io.kvpipe.common.topology.TopologyCodec;
import io.kvpipe.node.raft.AppliedCalls;
import io.kvpipe.node.raft.CommittedEntries;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas upgraded from a version without {@link AppliedCalls}, each from its own KVMETA1 snapshot taken at a
 * different log index, then fed the same log: they must reach the same state (docs/robustness.md, finding 10).
 */
class MetaUpgradeDivergenceTest {
  static final byte[] KVMETA1 = "KVMETA1\n".getBytes(StandardCharsets.US_ASCII);

  @TempDir
  Path dir;

  @Test
  void replicasThatLoadedKvmeta1AtDifferentIndexesApplyTheSameLogAlike() throws Exception {
    MetaCommand.SetGroupPeers addN4 = new MetaCommand.SetGroupPeers("g1", MetaApplyTest.WITH_N4, null, 2_000);
    AppliedCalls.CallId c = MetaApplyTest.call(7);
    MetaStateMachine[] r = replicasAfterUpgrade(addN4, c);
    MetaStateMachine r1 = r[0];
    MetaStateMachine r3 = r[1];
    // A later change, then the client's resend of the call whose reply the restart lost, logged by a new leader.
    MetaCommand.SetGroupPeers without = new MetaCommand.SetGroupPeers("g1", MetaApplyTest.WITHOUT_N1, null, 2_001);
    for (MetaStateMachine m : r) {
      assertThat(m.callsKnownFrom()).isEqualTo(AppliedCalls.UNKNOWN);
      m.apply(without, 3, MetaApplyTest.call(8));
      assertThat(m.apply(addN4, 4, c).ok()).as("applied: not every replica knows index 2's call").isTrue();
    }

    assertThat(r3.state()).as("same log, same state").isEqualTo(r1.state());
  }

  @Test
  void afterTheMarkerEveryReplicaSkipsTheSameDuplicates() throws Exception {
    MetaCommand.SetGroupPeers addN4 = new MetaCommand.SetGroupPeers("g1", MetaApplyTest.WITH_N4, null, 2_000);
    AppliedCalls.CallId c = MetaApplyTest.call(7);
    MetaStateMachine[] r = replicasAfterUpgrade(addN4, c);
    MetaCommand.SetGroupPeers without = new MetaCommand.SetGroupPeers("g1", MetaApplyTest.WITHOUT_N1, null, 2_002);
    for (MetaStateMachine m : r) {
      m.markCallsKnown(3);
      m.apply(without, 4, MetaApplyTest.call(9));
      assertThat(m.apply(without, 5, MetaApplyTest.call(9)).error()).as("a duplicate after the marker").isEqualTo(
          "TIMEOUT");
      assertThat(m.apply(addN4, 6, c).ok()).as("its first copy is before the marker").isTrue();
      assertThat(m.apply(addN4, 7, c).error()).as("and counts from its second").isEqualTo("TIMEOUT");
    }
    assertThat(r[1].state()).isEqualTo(r[0].state());

    // A snapshot taken now says from where: a replica that loads it skips alike.
    Path file = dir.resolve("new");
    MetaSnapshotFile.write(file, r[0].frozen());
    MetaStateMachine loaded = new MetaStateMachine();
    loaded.restore(MetaSnapshotFile.read(file));
    assertThat(loaded.callsKnownFrom()).isEqualTo(3);
    assertThat(loaded.apply(addN4, 8, c).error()).isEqualTo("TIMEOUT");
  }

  /**
   * The hole the marker alone left open: r0 holds no snapshot and replays its log from the start, so it remembers the
   * call at index 2; r1 and r3 restarted from KVMETA1 snapshots do not. A resend of it must be applied alike, and from
   * the marker on all must skip the same duplicates.
   */
  @Test
  void aReplicaReplayingTheWholeLogAppliesItAsReplicasFromOldSnapshotsDo() throws Exception {
    MetaCommand.SetGroupPeers addN4 = new MetaCommand.SetGroupPeers("g1", MetaApplyTest.WITH_N4, null, 2_000);
    AppliedCalls.CallId c = MetaApplyTest.call(7);
    MetaStateMachine[] r = replicasAfterUpgrade(addN4, c);
    MetaStateMachine r0 = new MetaStateMachine();
    r0.apply(new MetaCommand.Bootstrap(List.of(MetaApplyTest.G1), List.of(), 16, 1_000), 1, MetaApplyTest.call(1));
    r0.apply(addN4, 2, c);
    MetaCommand.SetGroupPeers without = new MetaCommand.SetGroupPeers("g1", MetaApplyTest.WITHOUT_N1, null, 2_001);
    for (MetaStateMachine m : List.of(r0, r[0], r[1])) {
      m.apply(without, 3, MetaApplyTest.call(8));
      m.apply(addN4, 4, c);
    }
    assertThat(r0.state()).as("r0 and r1, same log").isEqualTo(r[0].state())
        .as("r0 and r3, same log").isEqualTo(r[1].state());

    for (MetaStateMachine m : List.of(r0, r[0], r[1])) {
      m.markCallsKnown(5);
      m.apply(without, 6, MetaApplyTest.call(9));
      assertThat(m.apply(without, 7, MetaApplyTest.call(9)).error()).as("a duplicate after the marker")
          .isEqualTo("TIMEOUT");
    }
    assertThat(r0.state()).isEqualTo(r[0].state()).isEqualTo(r[1].state());
  }

  /**
   * KVMETA2 as the version before this one wrote it: r1's writer began empty and took its calls as known from 0
   * (ignoring the marker at 3), r3's writer loaded KVMETA1 at index 2 and took them as known from the marker. Both
   * write KVMETA2 at index 4; the resend of index 2's call must be applied alike.
   */
  @Test
  void kvmeta2SnapshotsOfTheVersionBeforeApplyTheSameLogAlike() throws Exception {
    MetaCommand.SetGroupPeers addN4 = new MetaCommand.SetGroupPeers("g1", MetaApplyTest.WITH_N4, null, 2_000);
    AppliedCalls.CallId c = MetaApplyTest.call(7);
    MetaStateMachine r1writer = new MetaStateMachine();
    r1writer.restore(new MetaSnapshotFile.Loaded(r1writer.state(), List.of(), 0, 0));
    r1writer.apply(new MetaCommand.Bootstrap(List.of(MetaApplyTest.G1), List.of(), 16, 1_000), 1,
        MetaApplyTest.call(1));
    r1writer.apply(addN4, 2, c);
    Path five = dir.resolve("kvmeta1");
    MetaSnapshotFile.writeFile(five, KVMETA1, TopologyCodec.encode(r1writer.state()));
    MetaStateMachine r3writer = new MetaStateMachine();
    r3writer.restore(MetaSnapshotFile.read(five));
    MetaCommand.SetGroupPeers without = new MetaCommand.SetGroupPeers("g1", MetaApplyTest.WITHOUT_N1, null, 2_001);
    MetaStateMachine[] r = new MetaStateMachine[2];
    int i = 0;
    for (MetaStateMachine w : List.of(r1writer, r3writer)) {
      w.markCallsKnown(3);
      w.apply(without, 4, MetaApplyTest.call(8));
      Path file = dir.resolve("w" + i);
      MetaSnapshotFile.write(file, w.frozen());
      asKvmeta2(file);
      r[i] = new MetaStateMachine();
      r[i].restore(MetaSnapshotFile.read(file));
      r[i].apply(addN4, 5, c);
      i++;
    }
    assertThat(r[1].state()).as("same log").isEqualTo(r[0].state());
  }

  @Test
  void anEmptyStateIsUnknownUntilTheMarkerAndTheMarkerOfTheVersionBeforeChangesNothing() throws Exception {
    MetaStateMachine m = new MetaStateMachine();
    assertThat(m.callsKnownFrom()).isEqualTo(AppliedCalls.UNKNOWN);
    m.applyTransaction(CommittedEntries.of(m, CommittedEntries.RETIRED_MARKER, 1,
        MetaApplyTest.call(3))).get();
    assertThat(m.callsKnownFrom()).as("the retired marker").isEqualTo(AppliedCalls.UNKNOWN);
    assertThat(m.state()).isEqualTo(MetaState.EMPTY);
    m.applyTransaction(CommittedEntries.of(m, AppliedCalls.MARKER, 2, MetaApplyTest.call(4))).get();
    assertThat(m.callsKnownFrom()).isEqualTo(2);
  }

  @Test
  void kvmeta2LoadsAsUnknownKeepingItsCalls() throws Exception {
    MetaStateMachine m = new MetaStateMachine();
    m.markCallsKnown(0);
    m.apply(new MetaCommand.Bootstrap(List.of(MetaApplyTest.G1), List.of(), 16, 1_000), 1, MetaApplyTest.call(1));
    Path file = dir.resolve("kvmeta2");
    MetaSnapshotFile.write(file, m.frozen());
    assertThat(MetaSnapshotFile.read(file).callsKnownFrom()).as("KVMETA3").isZero();
    asKvmeta2(file);
    MetaSnapshotFile.Loaded loaded = MetaSnapshotFile.read(file);
    assertThat(loaded.callsKnownFrom()).isEqualTo(AppliedCalls.UNKNOWN);
    assertThat(loaded.calls()).hasSize(1);
  }

  static final byte[] KVMETA2 = "KVMETA2\n".getBytes(StandardCharsets.US_ASCII);

  /** Rewrites a meta snapshot of this version (KVMETA3) as the version before wrote it (same layout, KVMETA2). */
  static void asKvmeta2(Path file) throws Exception {
    byte[] all = java.nio.file.Files.readAllBytes(file);
    System.arraycopy(KVMETA2, 0, all, 0, KVMETA2.length);
    java.nio.file.Files.write(file, all);
  }

  /**
   * Two replicas after an upgrade: r1 restarted from its KVMETA1 snapshot at index 1 and replayed entry 2 (the call
   * {@code c}) from its log; r3 restarted from its KVMETA1 snapshot at index 2.
   */
  MetaStateMachine[] replicasAfterUpgrade(MetaCommand.SetGroupPeers addN4, AppliedCalls.CallId c) throws Exception {
    MetaStateMachine old = new MetaStateMachine();
    old.apply(new MetaCommand.Bootstrap(List.of(MetaApplyTest.G1), List.of(), 16, 1_000), 1, MetaApplyTest.call(1));
    Path early = dir.resolve("early");
    MetaSnapshotFile.writeFile(early, KVMETA1, TopologyCodec.encode(old.state()));
    old.apply(addN4, 2, c);
    Path late = dir.resolve("late");
    MetaSnapshotFile.writeFile(late, KVMETA1, TopologyCodec.encode(old.state()));

    MetaStateMachine r1 = new MetaStateMachine();
    r1.restore(MetaSnapshotFile.read(early));
    r1.apply(addN4, 2, c);
    MetaStateMachine r3 = new MetaStateMachine();
    r3.restore(MetaSnapshotFile.read(late));
    return new MetaStateMachine[] {r1, r3};
  }
}
