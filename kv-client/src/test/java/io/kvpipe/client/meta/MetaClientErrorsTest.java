package io.kvpipe.client.meta;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.error.OutcomeUnknownException;
import io.kvpipe.common.wire.RejectedRequestException;
import java.util.concurrent.CompletionException;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.junit.jupiter.api.Test;

/** What a blocking meta call throws: the meta group's "already applied" answer must stay an unknown outcome. */
class MetaClientErrorsTest {
  static final String ALREADY = "this request was already applied at log index 9 of group meta and its reply was lost";

  @Test
  void theMetaGroupsAnswerToAResendOfAnAppliedCommandIsAnUnknownOutcome() {
    StateMachineException refused = new StateMachineException(RaftGroupMemberId.valueOf(RaftPeerId.valueOf("n1"),
        RaftGroupId.randomId()), RejectedRequestException.of(new KvException(ErrorCode.TIMEOUT, ALREADY)));

    KvException e = MetaClient.rethrown(new CompletionException(refused));

    assertThat(e).isInstanceOf(OutcomeUnknownException.class).hasMessage(ALREADY);
    assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
  }

  @Test
  void aRefusalStaysDefinite() {
    StateMachineException refused = new StateMachineException(RaftGroupMemberId.valueOf(RaftPeerId.valueOf("n1"),
        RaftGroupId.randomId()), RejectedRequestException.of(new KvException(ErrorCode.MALFORMED_REQUEST, "bad")));

    KvException e = MetaClient.rethrown(new CompletionException(refused));

    assertThat(e).isNotInstanceOf(OutcomeUnknownException.class);
    assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
    assertThat(MetaClient.rethrown(new OutcomeUnknownException(ErrorCode.TIMEOUT, "late")))
        .isInstanceOf(OutcomeUnknownException.class);
  }
}
