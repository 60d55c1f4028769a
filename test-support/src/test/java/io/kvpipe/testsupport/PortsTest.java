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

  /** DocCommandsIT lost a dev-stack kv-node whose metrics port (base + 3, drawn from 20000-50000) had meanwhile become
   *  the local end of an outgoing connection: blocks come from the same range and bookkeeping as single ports. */
  @Test
  void aBlockIsConsecutiveBindableOutsideTheEphemeralRangeAndNeverHandedOutAgain() throws IOException {
    int base = Ports.freeBlock(9);
    int ephemeral = Ports.ephemeralLow();
    for (int port = base; port < base + 9; port++) {
      if (ephemeral > Ports.LOW + 1_000) {
        assertThat(port).isBetween(Ports.LOW, ephemeral - 1);
      }
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      }
    }
    for (int i = 0; i < 2_000; i++) {
      int port = Ports.freePort();
      assertThat(port < base || port > base + 8).as("port %d handed out again from the block at %d", port, base)
          .isTrue();
    }
    int other = Ports.freeBlock(9);
    assertThat(other + 8 < base || other > base + 8).as("blocks at %d and %d overlap", base, other).isTrue();
  }
}
