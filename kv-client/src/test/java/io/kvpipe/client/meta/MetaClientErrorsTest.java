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
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.RaftRetryFailureException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.retry.RetryPolicies;
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

  /**
   * A command whose reply was lost with the leader, then resent until the window ended with no leader to answer
   * (each resend refused or unanswered), may have been applied by its first attempt: an unknown outcome, as for a
   * shard write (RaftErrors.ofWrite), not a definite NO_LEADER that a caller (or an operator told "retry after 1 s")
   * repeats.
   */
  @Test
  void aCommandResentUntilItsWindowEndedHasAnUnknownOutcome() {
    RaftRetryFailureException gaveUp = new RaftRetryFailureException(null, 7, RetryPolicies.noRetry(),
        new java.io.IOException("UNAVAILABLE: io exception"));

    KvException e = MetaClient.commandFailure(new CompletionException(gaveUp), true, "meta command SetRing");

    assertThat(e).isInstanceOf(OutcomeUnknownException.class);
    assertThat(e.code()).isEqualTo(ErrorCode.NO_LEADER);
  }

  /** The ordered stream's "no reply" (robustness finding 6's message): the request was sent, its answer lost. */
  @Test
  void aCommandWhoseStreamEndedWithoutAReplyHasAnUnknownOutcome() {
    java.io.IOException noReply = new java.io.IOException("client->n1: Stream completed: no reply for async request"
        + " cid=439");

    KvException e = MetaClient.commandFailure(new CompletionException(noReply), false, "meta command PutMigration");

    assertThat(e).isInstanceOf(OutcomeUnknownException.class);
    assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
  }

  /** Refusals before logging stay definite: the state machine's, and a server's to a command sent once. */
  @Test
  void refusalsOfACommandSentOnceStayDefinite() {
    StateMachineException refused = new StateMachineException(RaftGroupMemberId.valueOf(RaftPeerId.valueOf("n1"),
        RaftGroupId.randomId()), RejectedRequestException.of(new KvException(ErrorCode.MALFORMED_REQUEST, "bad")));
    assertThat(MetaClient.commandFailure(new CompletionException(refused), true, "meta command AddGroup"))
        .isNotInstanceOf(OutcomeUnknownException.class);
    GroupMismatchException noGroup = new GroupMismatchException("meta is not hosted by n1");
    KvException e = MetaClient.commandFailure(new CompletionException(noGroup), false, "meta command AddGroup");
    assertThat(e).isNotInstanceOf(OutcomeUnknownException.class);
    assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_GROUP);
  }

  /** A resent command refused by a leader stepping down is unknown, and the advice is about the topology, not a key. */
  @Test
  void aResentCommandRefusedByALeaderSteppingDownSaysToReadTheTopology() {
    KvException e = MetaClient.commandFailure(new CompletionException(new LeaderSteppingDownException("stepping down")),
        true, "meta command SetRing");

    assertThat(e).isInstanceOf(OutcomeUnknownException.class);
    assertThat(e.getMessage()).contains("read the topology").doesNotContain("key");
  }
}
