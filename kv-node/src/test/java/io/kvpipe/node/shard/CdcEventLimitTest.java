package io.kvpipe.node.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.Limits;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.DebeziumEnvelope;
import io.kvpipe.common.event.EncodedEvent;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Request;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The leader's refusal of writes whose change event the topic could never take. */
class CdcEventLimitTest {
  private static final long MAX = 100_000;
  private static final EventLimit LIMIT = new EventLimit() {
    @Override
    public long maxEventBytes() {
      return MAX;
    }

    @Override
    public String explain() {
      return "topic t takes records of at most max.message.bytes=101024";
    }
  };
  private static final DebeziumEnvelope ENVELOPE = LIMIT.envelope();
  private static final int CAP = ENVELOPE.largestValueFor(MAX, Limits.MAX_KEY_BYTES);

  private final ShardState state = new ShardState("g1");
  private long index;

  private void apply(Command c) {
    state.apply(c, ++index, 1, ShardStateTest.CDC);
  }

  private static void check(ShardState s, Command c) {
    CdcEventLimit.check(s, c, LIMIT);
  }

  @Test
  void aValueWhoseEventCouldNotBePublishedIsRefusedAndOneThatFitsWithAnyBeforeIsNot() {
    assertThatCode(() -> check(state, Command.Put.unconditional(ShardStateTest.b("k"), new byte[CAP])))
        .doesNotThrowAnyException();
    apply(Command.Put.unconditional(ShardStateTest.b("k"), new byte[CAP]));
    // The largest accepted overwrite of the largest accepted value still makes a publishable event.
    apply(Command.Put.unconditional(ShardStateTest.b("k"), new byte[CAP]));
    ChangeEvent worst = state.outbox().all().getLast();
    EncodedEvent encoded = ENVELOPE.encode(worst, System.currentTimeMillis());
    assertThat((long) encoded.key().length + encoded.value().length).isLessThanOrEqualTo(MAX);

    assertThatThrownBy(() -> check(state, Command.Put.unconditional(ShardStateTest.b("k"), new byte[CAP + 1])))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.VALUE_TOO_LARGE))
        .hasMessageContaining("max.message.bytes").hasMessageContaining("limited to " + CAP);
    // A group-committed batch is refused whole (before it is logged) when one of its writes is too large.
    assertThatThrownBy(() -> check(state, new Command.Batch(List.of(
        Command.Put.unconditional(ShardStateTest.b("fine"), new byte[1]),
        Command.Put.unconditional(ShardStateTest.b("big"), new byte[CAP + 1])))))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.VALUE_TOO_LARGE));
    assertThatThrownBy(() -> check(state, new Command.PutAll(List.of(
        new Command.KeyValue(ShardStateTest.b("a"), new byte[1]),
        new Command.KeyValue(ShardStateTest.b("b"), new byte[CAP + 1]))))).isInstanceOf(KvException.class);
    assertThatThrownBy(() -> check(state, new Command.MigrateIn(List.of(
        new Entry(ShardStateTest.b("m"), new byte[CAP + 1], 1))))).isInstanceOf(KvException.class);
  }

  @Test
  void aKeyWhoseCurrentValueIsLargerThanTheLimitAllowsIsCheckedWithItsRealValue() {
    // Written when the limit was larger (applied directly: apply holds values to the hard cap only).
    apply(Command.Put.unconditional(ShardStateTest.b("old"), new byte[2 * CAP]));
    apply(Command.Put.unconditional(ShardStateTest.b("older"), new byte[3 * CAP]));
    assertThatThrownBy(() -> check(state, Command.Put.unconditional(ShardStateTest.b("old"), new byte[CAP])))
        .isInstanceOf(KvException.class).hasMessageContaining("current value is " + 2 * CAP);
    // A small new value, or a delete (no 'after'), still fits beside it ...
    assertThatCode(() -> check(state, Command.Put.unconditional(ShardStateTest.b("old"), new byte[10])))
        .doesNotThrowAnyException();
    assertThatCode(() -> check(state, new Command.Delete(ShardStateTest.b("old"), Request.ANY_VERSION)))
        .doesNotThrowAnyException();
    // ... but not beside a value whose own base64 is over the limit.
    assertThatThrownBy(() -> check(state, new Command.Delete(ShardStateTest.b("older"), Request.ANY_VERSION)))
        .isInstanceOf(KvException.class).hasMessageContaining("this delete");
    assertThatThrownBy(() -> check(state, new Command.PublishSnapshot())).isInstanceOf(KvException.class)
        .hasMessageContaining("snapshot event");
  }

  @Test
  void noLimitChecksNothing() {
    assertThatCode(() -> CdcEventLimit.check(state, Command.Put.unconditional(ShardStateTest.b("k"),
        new byte[Limits.HARD_MAX_VALUE_BYTES]), EventLimit.NONE)).doesNotThrowAnyException();
  }
}
