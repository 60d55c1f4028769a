package io.kvpipe.node.shard;

import static io.kvpipe.node.shard.ShardStateResendTest.apply;
import static io.kvpipe.node.shard.ShardStateResendTest.b;
import static io.kvpipe.node.shard.ShardStateResendTest.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.wire.Command;
import io.kvpipe.node.raft.AppliedCalls;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.ratis.util.MD5FileUtil;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas upgraded from a version without {@link AppliedCalls}, each from its own format-5 snapshot taken at a
 * different log index, then fed the same log: they must reach the same state (docs/robustness.md, finding 10).
 */
class ShardUpgradeDivergenceTest {
  static final AppliedCalls.CallId CALL = ShardStateResendTest.CALL;

  @TempDir
  Path dir;

  /**
   * A format-5 snapshot of {@code s} (which must remember no calls, as a state of that version did): format 6 is
   * format 5 and the calls, here an empty list, so the file differs by its format number and the calls' count.
   */
  File format5(ShardState s, long index, String name) throws Exception {
    assertThat(s.rememberedCalls()).isZero();
    File file = dir.resolve(name).toFile();
    SnapshotFile.write(s, 1, index, file);
    byte[] six = Files.readAllBytes(file.toPath());
    ByteBuffer five = ByteBuffer.allocate(six.length - Integer.BYTES);
    five.put(six, 0, six.length - 2 * Integer.BYTES).putInt(ByteBuffer.wrap(six, six.length - 4, 4).getInt());
    five.putInt(4, 5);
    Files.write(file.toPath(), five.array());
    MD5FileUtil.computeAndSaveMd5ForFile(file);
    return file;
  }

  @Test
  @Disabled("fails until apply-time skipping waits for a replicated marker (robustness.md finding 10)")
  void replicasThatLoadedFormat5AtDifferentIndexesApplyTheSameLogAlike() throws Exception {
    Command put = Command.Put.unconditional(b("k"), b("v1"));
    ShardState old = new ShardState("g1");
    apply(old, Command.Put.unconditional(b("other"), b("x")), 1, 1_000, null);
    File early = format5(old, 1, "early");
    apply(old, put, 2, 1_001, null); // the version before: no calls kept
    File late = format5(old, 2, "late");

    // r1 restarted from its snapshot at index 1 and replays entry 2 from its log; r3 from its snapshot at index 2.
    ShardState r1 = SnapshotFile.read(early).state();
    apply(r1, put, 2, 1_001, CALL);
    ShardState r3 = SnapshotFile.read(late).state();
    // A later write, then the client's resend of the put whose reply the restart lost, logged by a new leader.
    for (ShardState r : List.of(r1, r3)) {
      apply(r, Command.Put.unconditional(b("k"), b("v2")), 3, 1_002, new AppliedCalls.CallId(9, 9, 9));
      apply(r, put, 4, 1_003, CALL);
    }

    assertThat(get(r3, "k").value()).as("same log, same value").isEqualTo(get(r1, "k").value());
    assertThat(get(r3, "k").version()).as("same log, same version").isEqualTo(get(r1, "k").version());
    assertThat(r3.outbox().all()).as("same log, same events").hasSameSizeAs(r1.outbox().all());
  }
}
