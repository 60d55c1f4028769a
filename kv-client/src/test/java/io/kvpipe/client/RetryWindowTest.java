package io.kvpipe.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.wire.PeerAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.retry.ClientRetryEvent;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.util.Timestamp;
import org.junit.jupiter.api.Test;

class RetryWindowTest {
  private static RaftClientRequest write() {
    return RaftClientRequest.newBuilder().setClientId(ClientId.randomId()).setServerId(RaftPeerId.valueOf("n1"))
        .setGroupId(RaftGroupId.randomId()).setCallId(1).setMessage(Message.valueOf("x"))
        .setType(RaftClientRequest.writeRequestType()).build();
  }

  private static RetryPolicy.Action after(RetryPolicy p, int attempts, long pendingMillis) {
    Timestamp created = Timestamp.currentTime().addTimeMs(-pendingMillis);
    return p.handleAttemptFailure(new ClientRetryEvent(attempts, write(), attempts, new java.io.IOException("lost"),
        created));
  }

  /**
   * Robustness finding 5: the old policy counted attempts (operation timeout / 50 ms), and an attempt that waits out
   * its RPC timeout each time stretched 10 s of "attempts" to minutes, past the replicas' retry cache: a resend then
   * was a new request and applied the write again. The window is wall time since the request was first sent.
   */
  @Test
  void resendsOnlyWhileTheRequestIsYoungerThanTheWindow() {
    RetryPolicy p = RetryWindow.policy(Duration.ofSeconds(10), Duration.ofMillis(50));
    assertThat(after(p, 1, 0).shouldRetry()).isTrue();
    assertThat(after(p, 1, 0).getSleepTime().toLong(TimeUnit.MILLISECONDS)).isEqualTo(50);
    assertThat(after(p, 5, 9_000).shouldRetry()).isTrue();
    assertThat(after(p, 5, 10_500).shouldRetry()).as("5 attempts of 2 s each, older than the window").isFalse();
  }

  /** A leader change's first resends come quickly, later ones at the usual pace; the window bounds both. */
  @Test
  void theFirstResendsComeQuicker() {
    RetryPolicy p = RetryWindow.policy(Duration.ofSeconds(10), Duration.ofMillis(10), 3, Duration.ofMillis(50));
    assertThat(after(p, 1, 0).getSleepTime().toLong(TimeUnit.MILLISECONDS)).isEqualTo(10);
    assertThat(after(p, 3, 30).getSleepTime().toLong(TimeUnit.MILLISECONDS)).isEqualTo(10);
    assertThat(after(p, 4, 40).getSleepTime().toLong(TimeUnit.MILLISECONDS)).isEqualTo(50);
    assertThat(after(p, 2, 10_500).shouldRetry()).isFalse();
  }

  @Test
  void noClientMayResendLongerThanTheReplicasRemember() {
    assertThat(RetryWindow.MAX_CLIENT_WINDOW.multipliedBy(2)).isLessThanOrEqualTo(RetryWindow.SERVER_RETRY_CACHE);
    RetryWindow.check(Duration.ofSeconds(30), Duration.ofSeconds(3));
    assertThatThrownBy(() -> RetryWindow.check(Duration.ofSeconds(59), Duration.ofSeconds(3)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retry cache");
    assertThatThrownBy(() -> ShardGroupClient.builder("g1", List.of(PeerAddress.parse("n1@127.0.0.1:1")))
        .operationTimeout(Duration.ofMinutes(5)).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("apply a write twice");
  }
}
