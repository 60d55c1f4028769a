package io.kvpipe.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.error.OutcomeUnknownException;
import io.kvpipe.common.wire.RejectedRequestException;
import java.io.IOException;
import java.util.concurrent.CompletionException;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.RaftRetryFailureException;
import org.apache.ratis.protocol.exceptions.ReadIndexException;
import org.apache.ratis.protocol.exceptions.StaleReadException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.protocol.exceptions.TimeoutIOException;
import org.apache.ratis.retry.RetryPolicies;
import org.junit.jupiter.api.Test;

class RaftErrorsTest {
  static ErrorCode code(Throwable t) {
    return RaftErrors.toKvException(t, "g1").code();
  }

  @Test
  void serverRefusalsKeepTheirCode() {
    StateMachineException sme = new StateMachineException("rejected",
        RejectedRequestException.of(new KvException(ErrorCode.VALUE_TOO_LARGE, "too big")));
    KvException kv = RaftErrors.toKvException(new CompletionException(sme), "g1");
    assertThat(kv.code()).isEqualTo(ErrorCode.VALUE_TOO_LARGE);
    assertThat(kv.getMessage()).isEqualTo("too big");
    // When only the text survives the transport, the code is parsed from it.
    assertThat(code(new StateMachineException(
        "io.kvpipe.common.wire.RejectedRequestException from Server n1@group-1: WRONG_GROUP: not mine")))
        .isEqualTo(ErrorCode.WRONG_GROUP);
  }

  @Test
  void transportFailuresAreRetriableCodes() {
    assertThat(code(new GroupMismatchException("no such group"))).isEqualTo(ErrorCode.UNKNOWN_GROUP);
    assertThat(code(new TimeoutIOException("slow"))).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(code(new ReadIndexException("no read index"))).isEqualTo(ErrorCode.NO_LEADER);
    assertThat(code(new StateMachineException("rejected", new StaleReadException("behind")))).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(code(new IOException("connection refused"))).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(RaftErrors.toKvException(new IOException("x"), "g1").retriable()).isTrue();
    // A pipeline closed by an earlier failure reports that failure.
    assertThat(code(new AlreadyClosedException("closed", new GroupMismatchException("g")))).isEqualTo(
        ErrorCode.UNKNOWN_GROUP);
  }

  static KvException write(Throwable raw, boolean resent) {
    return RaftErrors.ofWrite(RaftErrors.toKvException(raw, "g1"), raw, resent, "g1");
  }

  /**
   * Review finding 5: after Ratis sent a write, any failure but the group's own refusal leaves its outcome unknown (an
   * attempt may have been logged), and the caller must be able to tell that from a refusal without reading the text.
   */
  @Test
  void aWriteThatMayHaveBeenLoggedFailsWithAnUnknownOutcome() {
    var retriesRanOut = new RaftRetryFailureException(null, 5, RetryPolicies.noRetry(), new IOException("no leader"));
    assertThat(write(retriesRanOut, true)).isInstanceOf(OutcomeUnknownException.class)
        .extracting(KvException::code).isEqualTo(ErrorCode.NO_LEADER);
    assertThat(write(new TimeoutIOException("slow"), true)).isInstanceOf(OutcomeUnknownException.class)
        .extracting(KvException::code).isEqualTo(ErrorCode.TIMEOUT);
    // A TIMEOUT on a write is unknown even when Ratis never resent it: the one attempt may have been logged.
    assertThat(write(new TimeoutIOException("slow"), false)).isInstanceOf(OutcomeUnknownException.class);
    // The client was closed (GroupClients replaced it) while the write was in flight.
    assertThat(write(new AlreadyClosedException("closed"), false)).isInstanceOf(OutcomeUnknownException.class)
        .extracting(KvException::code).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(write(new IOException("connection reset"), true)).isInstanceOf(OutcomeUnknownException.class);
  }

  /** GroupTransport.write: a leader handing over refuses before logging; after a resend an earlier attempt may be in. */
  @Test
  void aLeaderSteppingDownIsARefusalOnlyForAWriteSentOnce() {
    KvException resent = write(new LeaderSteppingDownException("handing over"), true);
    assertThat(resent).isInstanceOf(OutcomeUnknownException.class);
    assertThat(resent.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(resent.getMessage()).contains("whether it was applied is unknown");
    assertThat(write(new LeaderSteppingDownException("handing over"), false))
        .isNotInstanceOf(OutcomeUnknownException.class);
  }

  @Test
  void aRefusalByTheGroupStaysDefinite() {
    StateMachineException refused = new StateMachineException("rejected",
        RejectedRequestException.of(new KvException(ErrorCode.VERSION_MISMATCH, "version is 3")));
    for (boolean resent : new boolean[] {false, true}) {
      assertThat(write(refused, resent)).as("resent " + resent).isNotInstanceOf(OutcomeUnknownException.class)
          .extracting(KvException::code).isEqualTo(ErrorCode.VERSION_MISMATCH);
    }
    // The group's answer decoded from a reply (no Ratis failure at all).
    KvException answered = new KvException(ErrorCode.CDC_BACKLOG_FULL, "outbox full");
    assertThat(RaftErrors.ofWrite(answered, null, true, "g1")).isSameAs(answered);
    assertThat(write(new GroupMismatchException("not hosted"), false)).isNotInstanceOf(OutcomeUnknownException.class);
    // ... but the group's TIMEOUT answer (a resend of a call applied before a restart) is unknown (see common).
    StateMachineException applied = new StateMachineException("rejected",
        RejectedRequestException.of(new KvException(ErrorCode.TIMEOUT, "already applied at log index 7")));
    assertThat(write(applied, true)).isInstanceOf(OutcomeUnknownException.class)
        .hasMessageContaining("already applied at log index 7");
  }
}
