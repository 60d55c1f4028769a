package io.kvpipe.node.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.Versions;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Command.Compare;
import io.kvpipe.common.wire.Command.Compare.Target;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Transactions: compare, then one branch, in one log entry, all or nothing. */
class ShardStateTxnTest {
  static final LogStamp CDC = new LogStamp(1000, true, 100, 1 << 20);

  final ShardState state = new ShardState("g1");
  long index;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static Command put(String k, String v) {
    return Command.Put.unconditional(b(k), b(v));
  }

  static Request get(String k) {
    return new Query.Get(b(k));
  }

  Reply apply(LogStamp stamp, Command.Txn t) {
    state.validate(t, 1 << 20, stamp);
    return state.apply(t, ++index, 7, stamp);
  }

  Reply.Txn txn(List<Compare> compares, List<Request> success, List<Request> failure) {
    return (Reply.Txn) apply(CDC, new Command.Txn(compares, success, failure));
  }

  Entry read(String k) {
    return ((Reply.Found) state.query(new Query.Get(b(k)))).entry();
  }

  long version(String k) {
    return read(k).version();
  }

  @Test
  void aFailedCompareRunsTheFailureBranchOnly() {
    state.apply(put("k", "1"), ++index, 7, CDC);
    Reply.Txn r = txn(List.of(new Compare(b("k"), Target.VALUE, b("2"), 0)),
        List.of(put("k", "3"), put("other", "x")),
        List.of(get("k"), put("failed", "yes")));
    assertThat(r.succeeded()).isFalse();
    assertThat(r.results()).hasSize(2);
    assertThat(((Reply.Found) r.results().get(0)).entry().value()).isEqualTo(b("1"));
    assertThat(read("k").value()).isEqualTo(b("1"));
    assertThat(read("other")).isNull();
    assertThat(read("failed").value()).isEqualTo(b("yes"));
  }

  @Test
  void everyKindOfCompareIsJudgedOnTheLiveState() {
    state.apply(put("live", "v"), ++index, 7, CDC);
    state.apply(put("gone", "v"), ++index, 7, CDC);
    state.apply(new Command.Delete(b("gone"), Request.ANY_VERSION), ++index, 7, CDC);
    long live = version("live");
    assertThat(holds(new Compare(b("live"), Target.EXISTS, null, 0))).isTrue();
    assertThat(holds(new Compare(b("gone"), Target.EXISTS, null, 0))).as("a tombstone is no live value").isFalse();
    assertThat(holds(new Compare(b("gone"), Target.MISSING, null, 0))).isTrue();
    assertThat(holds(new Compare(b("never"), Target.MISSING, null, 0))).isTrue();
    assertThat(holds(new Compare(b("live"), Target.VERSION, null, live))).isTrue();
    assertThat(holds(new Compare(b("live"), Target.VERSION, null, live + 1))).isFalse();
    assertThat(holds(new Compare(b("gone"), Target.VERSION, null, Versions.NONE))).isTrue();
    assertThat(holds(new Compare(b("live"), Target.VALUE, b("v"), 0))).isTrue();
    assertThat(holds(new Compare(b("gone"), Target.VALUE, b("v"), 0))).isFalse();
    // All must hold.
    Reply.Txn both = txn(List.of(new Compare(b("live"), Target.EXISTS, null, 0),
        new Compare(b("gone"), Target.EXISTS, null, 0)), List.of(get("live")), List.of());
    assertThat(both.succeeded()).isFalse();
    assertThat(both.results()).isEmpty();
  }

  private boolean holds(Compare c) {
    return txn(List.of(c), List.of(get("x")), List.of()).succeeded();
  }

  @Test
  void successPutsGetVersionsNewerThanEverBeforeAndOneEventEachMarkedAsTheTransaction() {
    state.apply(put("a", "0"), ++index, 7, CDC);
    long before = version("a");
    Reply.Txn r = txn(List.of(new Compare(b("a"), Target.VERSION, null, before)),
        List.of(put("a", "1"), put("b", "1"), new Command.Delete(b("c"), Request.ANY_VERSION)), List.of());
    assertThat(r.succeeded()).isTrue();
    long v = Versions.of(1, index);
    assertThat(r.results()).allSatisfy(x -> assertThat(((Reply.Written) x).version()).isEqualTo(v));
    assertThat(v).isGreaterThan(before);
    assertThat(((Reply.Written) r.results().get(0)).previous()).isEqualTo(b("0"));
    // The next transaction's puts are newer again.
    Reply.Txn next = txn(List.of(), List.of(put("a", "2"), put("b", "2")), List.of());
    assertThat(((Reply.Written) next.results().get(0)).version()).isGreaterThan(v);
    assertThat(version("b")).isGreaterThan(v);

    List<ChangeEvent> events = state.outbox().pendingAfter(index - 2, 100);
    assertThat(events).extracting(ChangeEvent::key).containsExactly("a", "b", "c", "a", "b");
    assertThat(events).extracting(ChangeEvent::seq).containsExactly(0, 1, 2, 0, 1);
    assertThat(events).extracting(ChangeEvent::op).containsExactly(Op.UPDATE, Op.CREATE, Op.DELETE, Op.UPDATE,
        Op.UPDATE);
    assertThat(events).allSatisfy(e -> assertThat(e.txn()).isTrue());
    assertThat(events.subList(0, 3)).extracting(ChangeEvent::txnId).containsOnly("g1:" + (index - 1));
    assertThat(events.subList(3, 5)).extracting(ChangeEvent::txnId).containsOnly("g1:" + index);
  }

  @Test
  void aGetSeesTheTransactionsEarlierWritesAndTheStoreOtherwise() {
    state.apply(put("x", "old"), ++index, 7, CDC);
    state.apply(put("y", "kept"), ++index, 7, CDC);
    Reply.Txn r = txn(List.of(), List.of(get("x"), put("x", "new"), get("x"), new Command.Delete(b("y"),
        Request.ANY_VERSION), get("y"), get("z")), List.of());
    assertThat(((Reply.Found) r.results().get(0)).entry().value()).isEqualTo(b("old"));
    Entry seen = ((Reply.Found) r.results().get(2)).entry();
    assertThat(seen.value()).isEqualTo(b("new"));
    assertThat(seen.version()).isEqualTo(((Reply.Written) r.results().get(1)).version());
    assertThat(((Reply.Found) r.results().get(4)).entry().deleted()).isTrue();
    assertThat(((Reply.Found) r.results().get(5)).entry()).isNull();
    assertThat(read("x").value()).isEqualTo(b("new"));
  }

  @Test
  void aKeyPastItsTtlDeadlineAtTheEntrysStampIsMissingToComparesAndGets() {
    state.apply(new Command.Put(b("t"), b("v"), Request.ANY_VERSION, 1000), ++index, 7, CDC); // stamp 1000
    LogStamp later = new LogStamp(CDC.tsMs() + 5000, true, 100, 1 << 20);
    Command.Txn t = new Command.Txn(List.of(new Compare(b("t"), Target.MISSING, null, 0)),
        List.of(get("t"), put("t", "again")), List.of(get("t")));
    state.validate(t, 1 << 20, later);
    Reply.Txn r = (Reply.Txn) state.apply(t, ++index, 7, later);
    assertThat(r.succeeded()).isTrue();
    assertThat(((Reply.Found) r.results().get(0)).entry().deleted()).isTrue();
    assertThat(((Reply.Written) r.results().get(1)).previous()).as("no live value to replace").isNull();
    // Before the deadline the same compare fails.
    state.apply(new Command.Put(b("u"), b("v"), Request.ANY_VERSION, 60_000), ++index, 7, later);
    Reply.Txn live = (Reply.Txn) state.apply(new Command.Txn(List.of(new Compare(b("u"), Target.EXISTS, null, 0)),
        List.of(get("u")), List.of()), ++index, 7, later);
    assertThat(live.succeeded()).isTrue();
    assertThat(((Reply.Found) live.results().get(0)).entry().value()).isEqualTo(b("v"));
  }

  @Test
  void aKeyTheGroupDoesNotOwnRefusesTheWholeTransaction() {
    HashRanges low = HashRanges.of(List.of(new HashRange(0, HashRange.RING_SIZE / 2)));
    state.apply(new Command.SetOwnership(2, low), ++index, 7, CDC);
    String in = keyWhere(low, true);
    String out = keyWhere(low, false);
    Command.Txn t = new Command.Txn(List.of(), List.of(put(in, "1"), put(out, "1")), List.of());
    assertThatThrownBy(() -> state.validate(t, 1 << 20, CDC))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.WRONG_GROUP));
    // Even if it was logged (ownership changed after the leader's check), apply refuses it whole.
    Reply r = state.apply(t, ++index, 7, CDC);
    assertThat(((Reply.Failure) r).code()).isEqualTo(ErrorCode.WRONG_GROUP);
    assertThat(read(in)).isNull();
    assertThat(state.outbox().size()).isZero();
    // A key only in the branch that does not run counts too: ownership must not depend on the compares' outcome.
    Command.Txn other = new Command.Txn(List.of(), List.of(put(in, "1")), List.of(get(out)));
    assertThat(state.apply(other, ++index, 7, CDC)).isInstanceOf(Reply.Failure.class);
    assertThat(read(in)).isNull();
  }

  @Test
  void aFullOutboxMidwayLeavesNothingBehind() {
    LogStamp three = new LogStamp(5, true, 3, 1 << 20);
    state.apply(put("first", "v"), ++index, 7, three);
    Command.Txn t = new Command.Txn(List.of(), List.of(put("a", "1"), put("b", "2"), put("c", "3")), List.of());
    Reply r = state.apply(t, ++index, 7, three);
    assertThat(((Reply.Failure) r).code()).isEqualTo(ErrorCode.CDC_BACKLOG_FULL);
    assertThat(read("a")).isNull();
    assertThat(read("b")).isNull();
    assertThat(state.outbox().size()).isEqualTo(1);
  }

  @Test
  void malformedTransactionsAreRefusedBeforeTheLog() {
    assertRefused(new Command.Txn(List.of(), List.of(put("k", "1"), put("k", "2")), List.of()),
        ErrorCode.MALFORMED_REQUEST);
    assertRefused(new Command.Txn(List.of(), List.of(new Command.Put(b("k"), b("1"), 5)), List.of()),
        ErrorCode.MALFORMED_REQUEST);
    assertRefused(new Command.Txn(List.of(), List.of(put("k", "x".repeat(101))), List.of()),
        ErrorCode.VALUE_TOO_LARGE);
    assertRefused(new Command.Txn(List.of(new Compare(b("k"), Target.VERSION, null, -3)), List.of(get("k")),
        List.of()), ErrorCode.MALFORMED_REQUEST);
    assertRefused(new Command.Txn(List.of(), List.of(put("", "1")), List.of()), ErrorCode.INVALID_KEY);
    // The same key in both branches is fine: only one runs.
    state.validate(new Command.Txn(List.of(), List.of(put("k", "1")), List.of(put("k", "2"))), 100, CDC);
    assertThatThrownBy(() -> new Command.Txn(List.of(), List.of(), List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Command.Txn(List.of(), java.util.Collections.nCopies(Command.Txn.MAX_OPS + 1,
        get("k")), List.of())).isInstanceOf(IllegalArgumentException.class);
  }

  private void assertRefused(Command.Txn t, ErrorCode code) {
    assertThatThrownBy(() -> state.validate(t, 100, CDC))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(code));
    if (code != ErrorCode.VALUE_TOO_LARGE) {
      // Apply holds values to the hard cap only (the leader's cap is not in the log); the rest it repeats.
      assertThat(state.apply(t, ++index, 7, CDC)).isInstanceOf(Reply.Failure.class);
      assertThat(read("k")).isNull();
    }
  }

  private static String keyWhere(HashRanges ranges, boolean inside) {
    for (int i = 0; ; i++) {
      String k = "key-" + i;
      if (ranges.contains(HashRing.position(b(k))) == inside) {
        return k;
      }
    }
  }
}
