package io.kvpipe.node.meta;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.TopologyCodec;
import io.kvpipe.node.raft.AppliedCalls;
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
