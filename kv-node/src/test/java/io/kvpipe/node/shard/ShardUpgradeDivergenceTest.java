package io.kvpipe.node.shard;

import static io.kvpipe.node.shard.ShardStateResendTest.apply;
import static io.kvpipe.node.shard.ShardStateResendTest.b;
import static io.kvpipe.node.shard.ShardStateResendTest.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.wire.Command;
import io.kvpipe.node.raft.AppliedCalls;
import io.kvpipe.node.raft.CommittedEntries;
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

  /** A snapshot of {@code s} at {@code index}, in an older {@code format}: 5, 6 or 7. */
  File older(int format, ShardState s, long index, String name) throws Exception {
    File file = dir.resolve(name).toFile();
    SnapshotFile.write(s, 1, index, file);
    rewriteAs(format, file);
    return file;
  }

  /**
   * Rewrites a snapshot of this version (format 8) as an older {@code format} wrote it: 7 (the same layout), 6
   * (without the calls' known-from index) or 5 (without the calls either, which that version did not keep). Both lie
   * just before the end marker.
   */
  static void rewriteAs(int format, File file) throws Exception {
    int calls = SnapshotFile.read(file).state().rememberedCalls();
    byte[] seven = Files.readAllBytes(file.toPath());
    int drop = format == 7 ? 0 : Long.BYTES + (format == 5 ? Integer.BYTES + calls * 5 * Long.BYTES : 0);
    ByteBuffer old = ByteBuffer.allocate(seven.length - drop);
    old.put(seven, 0, seven.length - Integer.BYTES - drop).put(seven, seven.length - Integer.BYTES, Integer.BYTES);
    old.putInt(Integer.BYTES, format);
    Files.write(file.toPath(), old.array());
    MD5FileUtil.computeAndSaveMd5ForFile(file);
  }

  /**
   * Two replicas of a group whose log, written by the version before calls were kept, is {@code other=x} at index 1
   * and {@code put} (call {@link #CALL}) at 2: r1 restarted from its format-5 snapshot at index 1 and replayed entry 2
   * from its log, r3 restarted from its snapshot at index 2. Returns [r1, r3].
   */
  private List<ShardState> restartedFromFormat5(Command put) throws Exception {
    ShardState old = new ShardState("g1");
    apply(old, Command.Put.unconditional(b("other"), b("x")), 1, 1_000, null);
    File early = older(5, old, 1, "early");
    apply(old, put, 2, 1_001, null); // the version before: no calls kept
    File late = older(5, old, 2, "late");
    ShardState r1 = SnapshotFile.read(early).state();
    apply(r1, put, 2, 1_001, CALL);
    return List.of(r1, SnapshotFile.read(late).state());
  }

  @Test
  void replicasThatLoadedFormat5AtDifferentIndexesApplyTheSameLogAlike() throws Exception {
    Command put = Command.Put.unconditional(b("k"), b("v1"));
    List<ShardState> restarted = restartedFromFormat5(put);
    ShardState r1 = restarted.get(0);
    ShardState r3 = restarted.get(1);
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
    List<ShardState> restarted = restartedFromFormat5(put);
    ShardState r1 = restarted.get(0);
    ShardState r3 = restarted.get(1);
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
    assertThat(SnapshotFile.read(now).state().callsKnownFrom()).as("format 8 keeps it").isEqualTo(3);
  }

  /**
   * What replicas applying the same log must agree on: the keys' values and versions and the change events (by log
   * index, seq, key and version).
   */
  static List<String> fingerprint(ShardState s, String... keys) {
    List<String> f = new java.util.ArrayList<>();
    for (String k : keys) {
      f.add(k + "=" + new String(get(s, k).value(), java.nio.charset.StandardCharsets.UTF_8) + "@"
          + get(s, k).version());
    }
    s.outbox().all().forEach(e -> f.add(e.logIndex() + "/" + e.seq() + " " + e.key() + "@" + e.version()));
    return f;
  }

  /**
   * The hole the marker alone left open: r0 holds no snapshot and replays its log from the start, r1 and r3 restarted
   * from format-5 snapshots taken at different indexes. r0 remembers every call of the log, the others do not: it must
   * still apply a duplicate as they do, and from the marker on all must skip the same duplicates.
   */
  @Test
  void aReplicaReplayingTheWholeLogAppliesItAsReplicasFromOldSnapshotsDo() throws Exception {
    Command put = Command.Put.unconditional(b("k"), b("v1"));
    Command other = Command.Put.unconditional(b("other"), b("x"));
    AppliedCalls.CallId first = new AppliedCalls.CallId(5, 5, 5);
    List<ShardState> restarted = restartedFromFormat5(put);
    ShardState r1 = restarted.get(0);
    ShardState r3 = restarted.get(1);

    ShardState r0 = new ShardState("g1");
    apply(r0, other, 1, 1_000, first);
    apply(r0, put, 2, 1_001, CALL);
    AppliedCalls.CallId later = new AppliedCalls.CallId(9, 9, 9);
    for (ShardState r : List.of(r0, r1, r3)) {
      apply(r, Command.Put.unconditional(b("k"), b("v2")), 3, 1_002, later);
      apply(r, put, 4, 1_003, CALL); // the client's resend of index 2's call, logged by a new leader
    }
    assertThat(fingerprint(r0, "k", "other")).as("r0 and r1, same log").isEqualTo(fingerprint(r1, "k", "other"))
        .as("r0 and r3, same log").isEqualTo(fingerprint(r3, "k", "other"));

    for (ShardState r : List.of(r0, r1, r3)) {
      r.markCallsKnown(5);
      apply(r, Command.Put.unconditional(b("k"), b("v3")), 6, 1_004, first);
      assertThat(apply(r, Command.Put.unconditional(b("k"), b("v3")), 7, 1_005, first))
          .as("a duplicate after the marker").isInstanceOf(io.kvpipe.common.wire.Reply.Failure.class);
    }
    assertThat(fingerprint(r0, "k", "other")).isEqualTo(fingerprint(r1, "k", "other"))
        .isEqualTo(fingerprint(r3, "k", "other"));
  }

  /**
   * Format 6 said "known from 0", but the version that wrote it may itself have started from a format-5 snapshot: r3's
   * writer loaded one at index 2 and never learnt index 2's call, r1's writer replayed it. Both load format 6; the
   * resend of index 2's call must be applied alike.
   */
  @Test
  void format6SnapshotsWhoseWritersKnewDifferentCallsApplyTheSameLogAlike() throws Exception {
    Command put = Command.Put.unconditional(b("k"), b("v1"));
    ShardState old = new ShardState("g1");
    old.restoreCalls(List.of(), 0); // the format-6 version: every state knew its calls from 0
    apply(old, Command.Put.unconditional(b("other"), b("x")), 1, 1_000, new AppliedCalls.CallId(5, 5, 5));
    apply(old, put, 2, 1_001, CALL);
    File early = older(6, old, 2, "early");
    ShardState r3writer = SnapshotFile.read(older(5, old, 2, "five")).state();
    r3writer.restoreCalls(List.of(), 0); // as the format-6 version loaded format 5
    AppliedCalls.CallId later = new AppliedCalls.CallId(9, 9, 9);
    apply(r3writer, Command.Put.unconditional(b("k"), b("v2")), 3, 1_002, later);
    File late = older(6, r3writer, 3, "late");

    ShardState r1 = SnapshotFile.read(early).state();
    apply(r1, Command.Put.unconditional(b("k"), b("v2")), 3, 1_002, later);
    ShardState r3 = SnapshotFile.read(late).state();
    for (ShardState r : List.of(r1, r3)) {
      apply(r, put, 4, 1_003, CALL);
    }
    assertThat(fingerprint(r3, "k", "other")).as("same log").isEqualTo(fingerprint(r1, "k", "other"));
  }

  /**
   * Format 7 as the version before this one wrote it: r1's writer began empty and took its calls as known from 0
   * (ignoring the marker at 3), r3's writer loaded format 5 at index 2 and took them as known from the marker. Both
   * write format 7 at index 4; the resend of index 2's call must be applied alike.
   */
  @Test
  void format7SnapshotsOfTheVersionBeforeApplyTheSameLogAlike() throws Exception {
    Command put = Command.Put.unconditional(b("k"), b("v1"));
    AppliedCalls.CallId later = new AppliedCalls.CallId(9, 9, 9);
    ShardState r1writer = new ShardState("g1");
    r1writer.restoreCalls(List.of(), 0);
    apply(r1writer, Command.Put.unconditional(b("other"), b("x")), 1, 1_000, new AppliedCalls.CallId(5, 5, 5));
    apply(r1writer, put, 2, 1_001, CALL);
    ShardState r3writer = SnapshotFile.read(older(5, r1writer, 2, "five")).state();
    for (ShardState w : List.of(r1writer, r3writer)) {
      w.markCallsKnown(3);
      apply(w, Command.Put.unconditional(b("k"), b("v2")), 4, 1_002, later);
    }
    ShardState r1 = SnapshotFile.read(older(7, r1writer, 4, "r1")).state();
    ShardState r3 = SnapshotFile.read(older(7, r3writer, 4, "r3")).state();
    for (ShardState r : List.of(r1, r3)) {
      apply(r, put, 5, 1_003, CALL);
    }
    assertThat(fingerprint(r3, "k", "other")).as("same log").isEqualTo(fingerprint(r1, "k", "other"));
  }

  @Test
  void everyFormatBefore8LoadsAsUnknownKeepingTheCallsItHas() throws Exception {
    ShardState s = new ShardState("g1");
    s.markCallsKnown(0);
    apply(s, Command.Put.unconditional(b("k"), b("v1")), 1, 1_000, null);
    assertThat(SnapshotFile.read(older(5, s, 1, "five")).state().callsKnownFrom()).isEqualTo(AppliedCalls.UNKNOWN);
    apply(s, Command.Put.unconditional(b("k"), b("v2")), 2, 1_001, CALL);
    for (int format : new int[] {6, 7}) {
      ShardState older = SnapshotFile.read(older(format, s, 2, "f" + format)).state();
      assertThat(older.callsKnownFrom()).as("format %d", format).isEqualTo(AppliedCalls.UNKNOWN);
      assertThat(older.appliedAt(CALL)).as("format %d: the leader still refuses it", format).isEqualTo(2);
    }
    File eight = dir.resolve("eight").toFile();
    SnapshotFile.write(s, 1, 2, eight);
    assertThat(SnapshotFile.read(eight).state().callsKnownFrom()).isZero();
  }

  @Test
  void anEmptyStateIsUnknownUntilTheMarkerAndTheMarkerOfTheVersionBeforeChangesNothing() throws Exception {
    ShardStateMachine sm = new ShardStateMachine("g1", new ShardSettings(4096, true, 10_000, 10 << 20));
    assertThat(sm.state().callsKnownFrom()).isEqualTo(AppliedCalls.UNKNOWN);
    AppliedCalls.CallId marker = new AppliedCalls.CallId(3, 3, 3);
    sm.applyTransaction(CommittedEntries.of(sm, CommittedEntries.RETIRED_MARKER, 1, marker)).get();
    assertThat(sm.state().callsKnownFrom()).as("the retired marker").isEqualTo(AppliedCalls.UNKNOWN);
    assertThat(sm.state().appliedIndex()).isEqualTo(1);
    assertThat(sm.state().store().size()).isZero();
    sm.applyTransaction(CommittedEntries.of(sm, AppliedCalls.MARKER, 2, new AppliedCalls.CallId(3, 3, 4))).get();
    assertThat(sm.state().callsKnownFrom()).isEqualTo(2);
  }
}
