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
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Group commit: several client writes in one log entry, each with its own outcome, version and event. */
class ShardStateBatchTest {
  static final LogStamp CDC = new LogStamp(1000, true, 100, 1 << 20);

  final ShardState state = new ShardState("g1");
  long index;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static Command put(String k, String v) {
    return Command.Put.unconditional(b(k), b(v));
  }

  Reply.Batch apply(LogStamp stamp, Command... ops) {
    Command.Batch batch = new Command.Batch(List.of(ops));
    state.validate(batch, 1 << 20, stamp);
    return (Reply.Batch) state.apply(batch, ++index, 7, stamp);
  }

  Entry get(String k) {
    return ((Reply.Found) state.query(new Query.Get(b(k)))).entry();
  }

  @Test
  void eachOpHasItsOwnOutcomeAndEventAtTheEntrysIndex() {
    state.apply(put("a", "old"), ++index, 7, CDC);
    state.apply(put("c", "old"), ++index, 7, CDC);
    long aVersion = get("a").version();
    long cVersion = get("c").version();
    Reply.Batch r = apply(CDC,
        put("b", "1"),
        new Command.Put(b("c"), b("lost"), cVersion + 1),          // CAS mismatch: refused alone
        new Command.Put(b("a2"), b("x"), Versions.NONE),
        new Command.Delete(b("a"), aVersion));                     // CAS match
    assertThat(r.replies()).hasSize(4);
    long version = Versions.of(1, index);
    assertThat(r.replies().get(0)).isEqualTo(new Reply.Written(version, null));
    assertThat(r.replies().get(1)).isInstanceOfSatisfying(Reply.Failure.class,
        f -> assertThat(f.code()).isEqualTo(ErrorCode.VERSION_MISMATCH));
    assertThat(((Reply.Written) r.replies().get(3)).previous()).isEqualTo(b("old"));
    assertThat(get("b").value()).isEqualTo(b("1"));
    assertThat(get("a").deleted()).isTrue();
    assertThat(get("a").version()).isEqualTo(version);
    assertThat(get("c").value()).isEqualTo(b("old"));

    List<ChangeEvent> events = state.outbox().pendingAfter(2, 100);
    assertThat(events).extracting(ChangeEvent::key).containsExactly("b", "a2", "a");
    assertThat(events).extracting(ChangeEvent::seq).containsExactly(0, 1, 2);
    assertThat(events).extracting(ChangeEvent::op).containsExactly(Op.CREATE, Op.CREATE, Op.DELETE);
    assertThat(events).allSatisfy(e -> {
      assertThat(e.logIndex()).isEqualTo(index);
      assertThat(e.version()).isEqualTo(version);
    });
  }

  @Test
  void aKeyTheGroupDoesNotOwnFailsOnlyItsOwnOp() {
    HashRanges low = HashRanges.of(List.of(new HashRange(0, 1L << 31)));
    String owned = keyWhere(low, true);
    String foreign = keyWhere(low, false);
    state.apply(new Command.SetOwnership(2, low), ++index, 7, CDC);
    Reply.Batch r = apply(CDC, put(foreign, "x"), put(owned, "y"));
    assertThat(r.replies().get(0)).isInstanceOfSatisfying(Reply.Failure.class,
        f -> assertThat(f.code()).isEqualTo(ErrorCode.WRONG_GROUP));
    assertThat(r.replies().get(1)).isInstanceOf(Reply.Written.class);
    assertThat(state.outbox().pendingAfter(0, 10)).extracting(ChangeEvent::key).containsExactly(owned);
    // Nothing owned: refused as a whole before it is logged.
    assertThatThrownBy(() -> state.validate(new Command.Batch(List.of(put(foreign, "x"))), 100, CDC))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.WRONG_GROUP));
  }

  @Test
  void wholeBatchRefusalsAreThoseNoOpCouldSurvive() {
    assertThatThrownBy(() -> state.validate(new Command.Batch(List.of(put("k", "1"), put("k", "2"))), 100, CDC))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST));
    assertThatThrownBy(() -> state.validate(new Command.Batch(List.of(put("k", "1"),
        Command.Put.unconditional(b("big"), new byte[101]))), 100, CDC))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.VALUE_TOO_LARGE));
    assertThatThrownBy(() -> state.validate(new Command.Batch(List.of(put("", "1"))), 100, CDC))
        .isInstanceOf(KvException.class);
    assertThatThrownBy(() -> state.validate(new Command.Batch(List.of(new Command.Delete(b("k"), -5))), 100, CDC))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST));
  }

  @Test
  void theOutboxBoundCountsTheEntrysOwnEventsSoALaterOpIsRefusedNotOverflowed() {
    LogStamp three = new LogStamp(5, true, 3, 1 << 20);
    state.apply(put("first", "v"), ++index, 7, three);
    Reply.Batch r = apply(three, put("a", "1"), put("b", "2"), put("c", "3"));
    assertThat(r.replies()).extracting(x -> x instanceof Reply.Written)
        .containsExactly(true, true, false);
    assertThat(((Reply.Failure) r.replies().get(2)).code()).isEqualTo(ErrorCode.CDC_BACKLOG_FULL);
    assertThat(state.outbox().size()).isEqualTo(3);
    assertThat(get("c")).isNull();
    // Full already: the next batch is refused whole before it is logged.
    assertThatThrownBy(() -> state.validate(new Command.Batch(List.of(put("d", "4"))), 100, three))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CDC_BACKLOG_FULL));
  }

  /** An op as the test generates it; its expected version is chosen against each state separately. */
  record Spec(String key, boolean delete, int condition) {
    Command materialize(ShardState s, int round) {
      Entry current = ((Reply.Found) s.query(new Query.Get(b(key)))).entry();
      boolean live = current != null && !current.deleted();
      long expected = switch (condition) {
        case 0 -> Request.ANY_VERSION;
        case 1 -> live ? current.version() : Versions.NONE;   // matches
        case 2 -> Versions.NONE;                              // matches only if absent
        default -> live ? current.version() + 1 : 12345;     // never matches
      };
      return delete ? new Command.Delete(b(key), expected) : new Command.Put(b(key), b("v" + round), expected);
    }
  }

  @Test
  void aBatchLeavesTheSameStateAsItsOpsAppliedOneEntryEach() {
    Random random = new Random(7);
    ShardState single = new ShardState("g1");
    long singleIndex = 0;
    for (int round = 0; round < 300; round++) {
      List<Spec> specs = new java.util.ArrayList<>();
      java.util.Set<String> used = new java.util.HashSet<>();
      int n = 1 + random.nextInt(8);
      while (specs.size() < n) {
        String k = "k" + random.nextInt(20);
        if (used.add(k)) {
          specs.add(new Spec(k, random.nextInt(4) == 0, random.nextInt(4)));
        }
      }
      int r = round;
      Reply.Batch batch = apply(CDC, specs.stream().map(sp -> sp.materialize(state, r)).toArray(Command[]::new));
      for (int i = 0; i < specs.size(); i++) {
        Reply alone = single.apply(specs.get(i).materialize(single, round), ++singleIndex, 7, CDC);
        assertThat(alone.getClass()).isEqualTo(batch.replies().get(i).getClass());
      }
      single.apply(new Command.ConfirmPublished(singleIndex), ++singleIndex, 7, CDC);
      state.apply(new Command.ConfirmPublished(index), ++index, 7, CDC);
      for (int k = 0; k < 20; k++) {
        Entry a = get("k" + k);
        Entry s = ((Reply.Found) single.query(new Query.Get(b("k" + k)))).entry();
        assertThat(a == null ? null : a.value()).isEqualTo(s == null ? null : s.value());
        assertThat(a == null ? null : a.deleted()).isEqualTo(s == null ? null : s.deleted());
      }
    }
  }

  @Test
  void readBatchAnswersEachReadAlone() {
    HashRanges low = HashRanges.of(List.of(new HashRange(0, 1L << 31)));
    String owned = keyWhere(low, true);
    String foreign = keyWhere(low, false);
    String absent = keyWhere(low, true, owned);
    state.apply(put(owned, "v"), ++index, 7, CDC);
    state.apply(put(foreign, "w"), ++index, 7, CDC);
    state.apply(new Command.SetOwnership(2, low), ++index, 7, CDC);
    Reply.Batch r = (Reply.Batch) state.query(new Query.Batch(List.of(new Query.Get(b(owned)),
        new Query.Get(b(foreign)), new Query.FallbackGet(b(foreign)), new Query.Get(b(absent)))));
    assertThat(((Reply.Found) r.replies().get(0)).entry().value()).isEqualTo(b("v"));
    assertThat(r.replies().get(1)).isInstanceOfSatisfying(Reply.Failure.class,
        f -> assertThat(f.code()).isEqualTo(ErrorCode.WRONG_GROUP));
    assertThat(((Reply.Found) r.replies().get(2)).entry().value()).isEqualTo(b("w"));
    assertThat(((Reply.Found) r.replies().get(3)).entry()).isNull();
  }

  private static String keyWhere(HashRanges ranges, boolean inside, String... not) {
    for (int i = 0; ; i++) {
      String k = "key-" + i;
      if (ranges.contains(HashRing.position(b(k))) == inside && !List.of(not).contains(k)) {
        return k;
      }
    }
  }
}
