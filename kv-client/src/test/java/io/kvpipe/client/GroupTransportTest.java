package io.kvpipe.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What a group's transport keeps about a request must end with the request. */
class GroupTransportTest {
  @Test
  void aLinearizableReadRatisResentLeavesNothingBehind() throws Exception {
    // A replica whose port refuses connections: Ratis resends the read until its window ends.
    try (GroupTransport t = new GroupTransport("g1", List.of(new PeerAddress("n1", "127.0.0.1", refusingPort())),
        RaftTls.PLAINTEXT, Duration.ofMillis(400), Duration.ofMillis(200))) {
      CompletableFuture<Reply> read = t.linearizableRead(new Query.Get("k".getBytes(StandardCharsets.UTF_8), "r1"),
          System.nanoTime() + Duration.ofMillis(300).toNanos());

      assertThatThrownBy(() -> read.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
      assertThat(t.resendsRemembered()).as("requests remembered as resent once the read ended").isZero();
    }
  }

  private static int refusingPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
