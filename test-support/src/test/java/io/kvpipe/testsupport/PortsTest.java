package io.kvpipe.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PortsTest {
  @Test
  void neverTheSamePortTwice() {
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 2_000; i++) {
      assertThat(seen.add(Ports.freePort())).as("port handed out twice after %d calls", i).isTrue();
    }
  }

  @Test
  void aPortIsBindableAndOutsideTheEphemeralRange() throws IOException {
    int port = Ports.freePort();
    int ephemeral = Ports.ephemeralLow();
    if (ephemeral > Ports.LOW + 1_000) {
      assertThat(port).isBetween(Ports.LOW, ephemeral - 1);
    }
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      assertThat(s.getLocalPort()).isEqualTo(port);
    }
  }
}
