package io.kvpipe.node.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A held line tells of its end at once, whoever ends it, and is let go when no longer wanted. */
class LeaderLinesTest {
  private final BlockingQueue<String> ended = new LinkedBlockingQueue<>();

  @Test
  void aLineClosedByTheLeadersSideIsReportedAtOnce() throws Exception {
    try (ServerSocket leader = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
         LeaderLines lines = new LeaderLines(ended::add).start()) {
      String address = "127.0.0.1:" + leader.getLocalPort();
      lines.hold(Set.of(address));
      Socket accepted = leader.accept();
      assertThat(ended.poll(200, TimeUnit.MILLISECONDS)).as("nothing ends while the line is up").isNull();
      assertThat(lines.msSinceLost(address, System.nanoTime())).isEqualTo(Long.MAX_VALUE);

      accepted.close(); // what the kernel does to every connection of a killed process

      assertThat(ended.poll(5, TimeUnit.SECONDS)).isEqualTo(address);
      assertThat(lines.msSinceLost(address, System.nanoTime())).isLessThan(5_000);
    }
  }

  @Test
  void anAddressNothingListensOnIsReportedAsEnded() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    try (LeaderLines lines = new LeaderLines(ended::add).start()) {
      lines.hold(Set.of("127.0.0.1:" + port));
      assertThat(ended.poll(5, TimeUnit.SECONDS)).isEqualTo("127.0.0.1:" + port);
    }
  }

  @Test
  void aLineNoLongerWantedIsClosedWithoutBeingReported() throws Exception {
    try (ServerSocket leader = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
         LeaderLines lines = new LeaderLines(ended::add).start()) {
      lines.hold(Set.of("127.0.0.1:" + leader.getLocalPort()));
      try (Socket accepted = leader.accept()) {
        accepted.setSoTimeout(5_000);
        lines.hold(Set.of());
        assertThat(accepted.getInputStream().read()).as("the line was closed").isEqualTo(-1);
      }
      assertThat(ended).isEmpty();
    }
  }
}
