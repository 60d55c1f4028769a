package io.kvpipe.node.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.node.raft.AppliedCalls;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A resend of a client call a shard group already applied changes nothing, also after the state went through a snapshot
 * ({@link AppliedCalls} itself: {@code io.kvpipe.node.raft.AppliedCallsTest}).
 */
class ShardStateResendTest {
  static final AppliedCalls.CallId CALL = new AppliedCalls.CallId(0x1234, 0x5678, 7);

  @TempDir
  Path dir;

  /** A group whose first entry was the marker: apply skips duplicates from there on ({@link AppliedCalls}). */
  final ShardState state = new ShardState("g1");

  {
    state.markCallsKnown(0);
  }
  long index;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static LogStamp at(long tsMs) {
    return new LogStamp(tsMs, true, 10_000, 64 << 20);
  }

  static Reply apply(ShardState s, Command c, long index, long tsMs, AppliedCalls.CallId call) {
    return s.apply(c, index, 2, at(tsMs), call);
  }

  static Entry get(ShardState s, String k) {
    return ((Reply.Found) s.query(new Query.Get(b(k)))).entry();
  }

  @Test
  void aResendOfAnAppliedPutChangesNothingAndSaysItsOutcomeIsUnknown() {
    Reply.Written first = (Reply.Written) apply(state, Command.Put.unconditional(b("k"), b("v1")), 1, 1_000, CALL);
    apply(state, Command.Put.unconditional(b("k"), b("v2")), 2, 1_001, new AppliedCalls.CallId(9, 9, 9));
    int outbox = state.outbox().all().size();

    Reply again = apply(state, Command.Put.unconditional(b("k"), b("v1")), 3, 1_002, CALL);

    assertThat(again).isInstanceOf(Reply.Failure.class);
    assertThat(((Reply.Failure) again).code()).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(((Reply.Failure) again).message()).contains("already applied at log index 1");
    assertThat(get(state, "k").value()).as("the later put stands").isEqualTo(b("v2"));
    assertThat(get(state, "k").version()).isNotEqualTo(first.version());
    assertThat(state.outbox().all()).as("no second change event").hasSize(outbox);
    assertThat(state.appliedIndex()).isEqualTo(3);
  }

  @Test
  void aResendOfAnAppliedBatchAnswersEveryOperation() {
    Command.Batch batch = new Command.Batch(List.of(Command.Put.unconditional(b("a"), b("1")),
        Command.Put.unconditional(b("b"), b("2"))));
    apply(state, batch, 1, 1_000, CALL);
    Reply again = apply(state, batch, 2, 1_001, CALL);
    assertThat(again).isInstanceOf(Reply.Batch.class);
    assertThat(((Reply.Batch) again).replies()).hasSize(2).allSatisfy(r ->
        assertThat(r).isInstanceOfSatisfying(Reply.Failure.class, f -> assertThat(f.code()).isEqualTo(
            ErrorCode.TIMEOUT)));
    assertThat(state.outbox().all()).hasSize(2);
  }

  @Test
  void entriesWithoutACallAndDistinctCallsAreAllApplied() {
    apply(state, Command.Put.unconditional(b("k"), b("1")), 1, 1_000, null);
    apply(state, Command.Put.unconditional(b("k"), b("2")), 2, 1_000, null);
    apply(state, Command.Put.unconditional(b("k"), b("3")), 3, 1_000, new AppliedCalls.CallId(1, 2, 3));
    apply(state, Command.Put.unconditional(b("k"), b("4")), 4, 1_000, new AppliedCalls.CallId(1, 2, 4));
    assertThat(get(state, "k").value()).isEqualTo(b("4"));
    assertThat(state.outbox().all()).hasSize(4);
  }

  /** The defect review found: a replica restarted from a snapshot had forgotten the calls it covers. */
  @Test
  void aReplicaLoadedFromASnapshotStillRefusesAResendOfACallTheSnapshotCovers() throws IOException {
    apply(state, Command.Put.unconditional(b("k"), b("v1")), 1, 1_000, CALL);
    File file = dir.resolve("snap").toFile();
    SnapshotFile.write(state, 2, 1, file);

    ShardState restarted = SnapshotFile.read(file).state();
    assertThat(restarted.rememberedCalls()).isEqualTo(1);
    Reply again = apply(restarted, Command.Put.unconditional(b("k"), b("v1")), 2, 1_001, CALL);

    assertThat(again).isInstanceOf(Reply.Failure.class);
    assertThat(restarted.outbox().all()).as("no second change event").hasSize(1);
    assertThat(get(restarted, "k").version()).isEqualTo(get(state, "k").version());
  }
}
