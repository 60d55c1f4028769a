package io.kvpipe.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.RejectedRequestException;
import java.io.IOException;
import java.util.concurrent.CompletionException;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.ReadIndexException;
import org.apache.ratis.protocol.exceptions.StaleReadException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.protocol.exceptions.TimeoutIOException;
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
}
