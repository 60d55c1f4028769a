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

/** setPeersAsync without a cluster: bad peer lists never leave the client; the deadline bounds the retries. */
class SetPeersTest {
  @Test
  void anEmptyOrRepeatingPeerListIsRefusedAsMalformed() throws Exception {
    List<PeerAddress> peers = nowhere(2);
    try (ShardGroupClient client = ShardGroupClient.connect("g1", peers)) {
      assertThatThrownBy(() -> ShardGroupClient.join(client.setPeersAsync(List.of())))
          .isInstanceOf(KvException.class).extracting(e -> ((KvException) e).code())
          .isEqualTo(ErrorCode.MALFORMED_REQUEST);
      List<PeerAddress> twice = List.of(peers.get(0), PeerAddress.parse("n1@127.0.0.1:1"));
      assertThatThrownBy(() -> ShardGroupClient.join(client.setPeersAsync(twice)))
          .isInstanceOf(KvException.class).extracting(e -> ((KvException) e).code())
          .isEqualTo(ErrorCode.MALFORMED_REQUEST);
    }
  }

  @Test
  void aGroupWithNoReachableReplicaFailsRetriablyAfterTheCallersDeadline() throws Exception {
    List<PeerAddress> peers = nowhere(3);
    try (ShardGroupClient client = ShardGroupClient.connect("g1", peers)) {
      long start = System.nanoTime();
      CompletableFuture<Void> change = client.setPeersAsync(peers.subList(0, 2), Duration.ofMillis(1500));
      assertThatThrownBy(() -> ShardGroupClient.join(change)).isInstanceOf(KvException.class)
          .satisfies(e -> assertThat(((KvException) e).retriable()).as(e.toString()).isTrue());
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(1000)).isLessThan(Duration.ofSeconds(10));
    }
  }

  private static List<PeerAddress> nowhere(int n) throws IOException {
    List<PeerAddress> out = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        out.add(PeerAddress.parse("n" + i + "@127.0.0.1:" + s.getLocalPort()));
      }
    }
    return out;
  }
}
