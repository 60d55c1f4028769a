package io.kvpipe.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.PeerAddress;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The operation timeout bounds a whole operation, even when every replica is unreachable and Ratis keeps retrying. */
class OperationDeadlineTest {
  @Test
  void anOperationAgainstUnreachableReplicasFailsRetriablyWithinItsTimeout() throws Exception {
    List<PeerAddress> nowhere = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      nowhere.add(PeerAddress.parse("n" + i + "@127.0.0.1:" + closedPort()));
    }
    try (ShardGroupClient client = ShardGroupClient.builder("g1", nowhere)
        .operationTimeout(Duration.ofMillis(800)).rpcTimeout(Duration.ofSeconds(3)).build()) {
      long start = System.nanoTime();
      CompletableFuture<?> put = client.putAsync("k", new byte[] {1});
      assertThatThrownBy(() -> ShardGroupClient.join(put)).isInstanceOf(KvException.class)
          .satisfies(e -> assertThat(((KvException) e).retriable()).isTrue());
      // Generous against a loaded machine, yet far below Ratis's own attempts x RPC timeout (minutes).
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
  }

  @Test
  void anOperationStartedPastItsCallersDeadlineIsNeverSent() throws Exception {
    List<PeerAddress> nowhere = List.of(PeerAddress.parse("n1@127.0.0.1:" + closedPort()));
    try (ShardGroupClient client = ShardGroupClient.builder("g1", nowhere).build()) {
      CompletableFuture<?> put = CallerDeadline.within(System.nanoTime() - 1,
          () -> client.putAsync("k", new byte[] {1}));
      assertThatThrownBy(() -> ShardGroupClient.join(put)).isInstanceOfSatisfying(KvException.class,
          e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT));
      assertThat(client.groupCommitStats().writeRequests()).isZero();
    }
  }

  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
