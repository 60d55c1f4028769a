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
import java.util.List;
import org.apache.ratis.util.MD5FileUtil;
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

  /** A snapshot of {@code s} at {@code index}, in an older {@code format}: 5 or 6. */
  File older(int format, ShardState s, long index, String name) throws Exception {
    File file = dir.resolve(name).toFile();
    SnapshotFile.write(s, 1, index, file);
    rewriteAs(format, file);
    return file;
  }

  /**
   * Rewrites a format-7 snapshot as an older {@code format} wrote it: 6 (format 7 without the calls' known-from
   * index) or 5 (format 6 without the calls, which that version did not keep). Both lie just before the end marker.
   */
  static void rewriteAs(int format, File file) throws Exception {
    int calls = SnapshotFile.read(file).state().rememberedCalls();
    byte[] seven = Files.readAllBytes(file.toPath());
    int drop = Long.BYTES + (format == 5 ? Integer.BYTES + calls * 5 * Long.BYTES : 0);
    ByteBuffer old = ByteBuffer.allocate(seven.length - drop);
    old.put(seven, 0, seven.length - Integer.BYTES - drop).put(seven, seven.length - Integer.BYTES, Integer.BYTES);
    old.putInt(Integer.BYTES, format);
    Files.write(file.toPath(), old.array());
    MD5FileUtil.computeAndSaveMd5ForFile(file);
  }

  @Test
  void replicasThatLoadedFormat5AtDifferentIndexesApplyTheSameLogAlike() throws Exception {
    Command put = Command.Put.unconditional(b("k"), b("v1"));
    ShardState old = new ShardState("g1");
    apply(old, Command.Put.unconditional(b("other"), b("x")), 1, 1_000, null);
    File early = older(5, old, 1, "early");
    apply(old, put, 2, 1_001, null); // the version before: no calls kept
    File late = older(5, old, 2, "late");

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

  @Test
  void afterTheMarkerEveryReplicaSkipsTheSameDuplicates() throws Exception {
    Command put = Command.Put.unconditional(b("k"), b("v1"));
    ShardState old = new ShardState("g1");
    apply(old, Command.Put.unconditional(b("other"), b("x")), 1, 1_000, null);
    File early = older(5, old, 1, "early");
    apply(old, put, 2, 1_001, null);
    File late = older(5, old, 2, "late");
    ShardState r1 = SnapshotFile.read(early).state();
    apply(r1, put, 2, 1_001, CALL);
    ShardState r3 = SnapshotFile.read(late).state();
    AppliedCalls.CallId other = new AppliedCalls.CallId(9, 9, 9);
    for (ShardState r : List.of(r1, r3)) {
      assertThat(r.callsKnownFrom()).isEqualTo(AppliedCalls.UNKNOWN);
      r.markCallsKnown(3);
      apply(r, Command.Put.unconditional(b("k"), b("v2")), 4, 1_002, other);
      assertThat(apply(r, Command.Put.unconditional(b("k"), b("v2")), 5, 1_003, other))
          .as("a duplicate after the marker").isInstanceOf(io.kvpipe.common.wire.Reply.Failure.class);
      assertThat(apply(r, put, 6, 1_004, CALL)).as("its first copy is before the marker")
          .isInstanceOf(io.kvpipe.common.wire.Reply.Written.class);
      assertThat(apply(r, put, 7, 1_005, CALL)).as("and counts from its second")
          .isInstanceOf(io.kvpipe.common.wire.Reply.Failure.class);
    }
    assertThat(get(r3, "k").version()).isEqualTo(get(r1, "k").version());
    assertThat(r3.outbox().all()).hasSameSizeAs(r1.outbox().all());

    File now = dir.resolve("now").toFile();
    SnapshotFile.write(r1, 1, 7, now);
    assertThat(SnapshotFile.read(now).state().callsKnownFrom()).as("format 7 keeps it").isEqualTo(3);
  }

  @Test
  void format6LoadsAsKnownFromTheStartAndFormat5AsUnknown() throws Exception {
    ShardState s = new ShardState("g1");
    apply(s, Command.Put.unconditional(b("k"), b("v1")), 1, 1_000, null);
    assertThat(SnapshotFile.read(older(5, s, 1, "five")).state().callsKnownFrom()).isEqualTo(AppliedCalls.UNKNOWN);
    apply(s, Command.Put.unconditional(b("k"), b("v2")), 2, 1_001, CALL);
    ShardState six = SnapshotFile.read(older(6, s, 2, "six")).state();
    assertThat(six.callsKnownFrom()).isZero();
    assertThat(six.rememberedCalls()).isEqualTo(1);
  }
}
