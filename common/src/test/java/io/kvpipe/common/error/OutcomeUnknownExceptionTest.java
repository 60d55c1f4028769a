package io.kvpipe.common.error;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.topology.MetaReply;
import io.kvpipe.common.wire.RejectedRequestException;
import io.kvpipe.common.wire.Reply;
import org.junit.jupiter.api.Test;

class OutcomeUnknownExceptionTest {
  @Test
  void keepsTheCodeAndMessageOfTheFailureItMarks() {
    KvException timeout = new KvException(ErrorCode.TIMEOUT, "no answer");
    OutcomeUnknownException u = OutcomeUnknownException.of(timeout);
    assertThat(u.code()).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(u.getMessage()).isEqualTo("no answer");
    assertThat(u.getCause()).isSameAs(timeout);
    assertThat(u.retriable()).as("the code's meaning, for idempotent callers").isTrue();
    assertThat(OutcomeUnknownException.of(u)).isSameAs(u);
  }

  /**
   * A group answers TIMEOUT only for a resend of a call it applied before a restart (AppliedCalls.alreadyApplied, at
   * validation or at apply; shard and meta groups alike): its first reply is lost, so the outcome is unknown. Only
   * code and text cross the wire; the type is rebuilt from the code on every path.
   */
  @Test
  void aGroupsTimeoutAnswerIsAnUnknownOutcomeOnBothPaths() {
    KvException applied = new KvException(ErrorCode.TIMEOUT, "this request was already applied at log index 7");
    assertThat(Reply.Failure.of(applied).toException()).isInstanceOf(OutcomeUnknownException.class)
        .hasMessage(applied.getMessage());
    KvException refused = RejectedRequestException.of(applied).toKvException();
    assertThat(refused).isInstanceOf(OutcomeUnknownException.class).hasMessage(applied.getMessage());
    assertThat(refused.code()).isEqualTo(ErrorCode.TIMEOUT);
    assertThatThrownBy(() -> MetaReply.refused(ErrorCode.TIMEOUT, applied.getMessage(), 3).orThrow())
        .as("the meta group's reply to a duplicate").isInstanceOf(OutcomeUnknownException.class)
        .hasMessage(applied.getMessage());
    assertThatThrownBy(() -> MetaReply.refused(ErrorCode.CONFLICT, "no", 3).orThrow())
        .isNotInstanceOf(OutcomeUnknownException.class);
  }

  @Test
  void everyOtherRefusalByAGroupStaysDefinite() {
    for (ErrorCode c : ErrorCode.values()) {
      if (c == ErrorCode.TIMEOUT) {
        continue;
      }
      KvException e = new KvException(c, "refused");
      assertThat(Reply.Failure.of(e).toException()).as(c.name()).isNotInstanceOf(OutcomeUnknownException.class);
      assertThat(RejectedRequestException.of(e).toKvException()).as(c.name())
          .isNotInstanceOf(OutcomeUnknownException.class);
    }
  }
}
