package io.kvpipe.node.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.error.OutcomeUnknownException;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.MetaReply;
import io.kvpipe.common.topology.MetaState;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.TopologyCodec;
import io.kvpipe.node.raft.AppliedCalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A duplicate of a meta command already applied (same client call) changes nothing, also after the state went through
 * a snapshot; older snapshots still load. The IT with real Ratis peers is {@code MetaResendAfterRestartIT}.
 */
class MetaApplyTest {
  static final ShardGroup G1 = ShardGroup.parse("g1=n1@127.0.0.1:1,n2@127.0.0.1:2,n3@127.0.0.1:3");
  static final List<Peer> WITH_N4 = List.of(Peer.parse("n1@127.0.0.1:1"), Peer.parse("n2@127.0.0.1:2"),
      Peer.parse("n3@127.0.0.1:3"), Peer.parse("n4@127.0.0.1:4"));
  static final List<Peer> WITHOUT_N1 = List.of(Peer.parse("n2@127.0.0.1:2"), Peer.parse("n3@127.0.0.1:3"),
      Peer.parse("n4@127.0.0.1:4"));
  static final AppliedCalls.CallId CALL = new AppliedCalls.CallId(0x1234, 0x5678, 7);

  @TempDir
  Path dir;

  /** A group whose first entry was the marker: apply skips duplicates from there on ({@link AppliedCalls}). */
  final MetaStateMachine meta = new MetaStateMachine();

  {
    meta.markCallsKnown(0);
  }

  static AppliedCalls.CallId call(long id) {
    return new AppliedCalls.CallId(0x1234, 0x5678, id);
  }

  MetaStateMachine bootstrapped(MetaStateMachine m) {
    assertThat(m.apply(new MetaCommand.Bootstrap(List.of(G1), List.of(), 16, 1_000), 1, call(1)).ok()).isTrue();
    return m;
  }

  @Test
  void aDuplicateOfAnAppliedCommandChangesNothingAndSaysItsOutcomeIsUnknown() {
    bootstrapped(meta);
    MetaCommand.SetGroupPeers addN4 = new MetaCommand.SetGroupPeers("g1", WITH_N4, null, 2_000);
    assertThat(meta.apply(addN4, 2, CALL).changed()).isTrue();
    meta.apply(new MetaCommand.SetGroupPeers("g1", WITHOUT_N1, null, 2_001), 3, call(8));
    MetaState before = meta.state();

    MetaReply again = meta.apply(addN4, 4, CALL);

    assertThat(again.ok()).isFalse();
    assertThat(again.error()).isEqualTo("TIMEOUT");
    assertThat(again.message()).contains("already applied at log index 2 of group meta");
    assertThat(meta.state()).as("the later replica list stands, no new version").isEqualTo(before);
    assertThatThrownBy(again::orThrow).isInstanceOf(OutcomeUnknownException.class);
  }

  @Test
  void aDuplicateOfARefusedCommandIsNotJudgedAgain() {
    bootstrapped(meta);
    MetaCommand.RemoveGroup remove = new MetaCommand.RemoveGroup("g2", null, 2_000);
    assertThat(meta.apply(remove, 2, CALL).error()).isEqualTo("UNKNOWN_GROUP");
    assertThat(meta.apply(remove, 3, CALL).error()).isEqualTo("TIMEOUT");
  }

  @Test
  void distinctCallsAndEntriesWithoutACallAreAllApplied() {
    bootstrapped(meta);
    meta.apply(new MetaCommand.SetNodeHealth("n1", false, "a", 2_000), 2, null);
    meta.apply(new MetaCommand.SetNodeHealth("n1", true, "b", 2_001), 3, null);
    meta.apply(new MetaCommand.SetNodeHealth("n1", false, "c", 2_002), 4, call(9));
    meta.apply(new MetaCommand.SetNodeHealth("n1", true, "d", 2_003), 5, call(10));
    assertThat(meta.state().topology().version()).isEqualTo(5);
    assertThat(meta.rememberedCalls()).isEqualTo(3);
  }

  @Test
  void callsAreForgottenAfterTheWindowOfCommandTimeWhichNeverGoesBack() {
    bootstrapped(meta);
    meta.apply(new MetaCommand.SetNodeHealth("n1", false, "a", 10_000), 2, CALL);
    // A proposer whose clock is behind does not take the log time back: the call is still remembered.
    meta.apply(new MetaCommand.SetNodeHealth("n1", true, "b", 5_000), 3, call(8));
    assertThat(meta.apply(new MetaCommand.SetNodeHealth("n1", false, "a", 10_000), 4, CALL).error())
        .isEqualTo("TIMEOUT");
    meta.apply(new MetaCommand.SetNodeHealth("n1", false, "c", 10_001 + AppliedCalls.WINDOW_MS), 5, call(9));
    assertThat(meta.apply(new MetaCommand.SetNodeHealth("n1", true, "b", 5_000), 6, CALL).ok())
        .as("older than the window: a new call as far as the group knows").isTrue();
  }

  /** The defect: replicas restarted from a snapshot had forgotten the calls it covers. */
  @Test
  void aReplicaLoadedFromASnapshotStillRefusesADuplicateOfACallTheSnapshotCovers() throws IOException {
    bootstrapped(meta);
    MetaCommand.SetGroupPeers addN4 = new MetaCommand.SetGroupPeers("g1", WITH_N4, null, 2_000);
    meta.apply(addN4, 2, CALL);
    meta.apply(new MetaCommand.SetGroupPeers("g1", WITHOUT_N1, null, 2_001), 3, call(8));
    Path file = dir.resolve("snap");
    MetaSnapshotFile.write(file, meta.frozen());

    MetaStateMachine restarted = new MetaStateMachine();
    restarted.restore(MetaSnapshotFile.read(file));

    assertThat(restarted.rememberedCalls()).isEqualTo(3);
    assertThat(restarted.state()).isEqualTo(meta.state());
    assertThat(restarted.frozen().logTimeMs()).isEqualTo(2_001);
    assertThat(restarted.apply(addN4, 4, CALL).error()).isEqualTo("TIMEOUT");
    assertThat(restarted.state()).isEqualTo(meta.state());
  }

  /** A snapshot an older kvpipe wrote (KVMETA1: the state as JSON only) loads, with no calls remembered. */
  @Test
  void aSnapshotOfTheFormerFormatLoadsWithoutCalls() throws IOException {
    bootstrapped(meta);
    meta.apply(new MetaCommand.SetNodeHealth("n1", false, "a", 2_000), 2, CALL);
    Path file = dir.resolve("old");
    MetaSnapshotFile.writeFile(file, "KVMETA1\n".getBytes(StandardCharsets.US_ASCII),
        TopologyCodec.encode(meta.state()));

    MetaSnapshotFile.Loaded loaded = MetaSnapshotFile.read(file);
    MetaStateMachine restarted = new MetaStateMachine();
    restarted.restore(loaded);

    assertThat(loaded.state()).isEqualTo(meta.state());
    assertThat(loaded.calls()).isEmpty();
    assertThat(loaded.logTimeMs()).as("the topology's update time").isEqualTo(2_000);
    assertThat(restarted.apply(new MetaCommand.SetNodeHealth("n1", true, "b", 2_001), 3, call(9)).changed())
        .isTrue();
  }

  @Test
  void aDamagedSnapshotIsRefused() throws IOException {
    bootstrapped(meta);
    Path file = dir.resolve("snap");
    MetaSnapshotFile.write(file, meta.frozen());
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length - 3] ^= 1;
    Files.write(file, bytes);
    assertThatThrownBy(() -> MetaSnapshotFile.read(file)).isInstanceOf(IOException.class)
        .hasMessageContaining("checksum");
    Files.write(file, "KVMETA9\nxxxxxxxxxxxxxxxxxxxxxx".getBytes(StandardCharsets.US_ASCII));
    assertThatThrownBy(() -> MetaSnapshotFile.read(file)).hasMessageContaining("no valid header");
  }
}
