package io.kvpipe.node.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** Only a refused connection may start an election: a listening port, or an address that is no address, may not. */
class DeadLeaderWatchTest {
  @Test
  void aListeningPortIsNotRefused() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      assertThat(DeadLeaderWatch.refused("127.0.0.1:" + s.getLocalPort())).isFalse();
    }
  }

  @Test
  void aClosedPortIsRefused() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    assertThat(DeadLeaderWatch.refused("127.0.0.1:" + port)).isTrue();
  }

  @Test
  void anAddressWithoutAPortProvesNothing() {
    assertThat(DeadLeaderWatch.refused("127.0.0.1")).isFalse();
    assertThat(DeadLeaderWatch.refused("127.0.0.1:notaport")).isFalse();
  }
}
