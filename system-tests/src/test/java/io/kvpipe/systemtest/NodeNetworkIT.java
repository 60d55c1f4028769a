package io.kvpipe.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kvpipe.testsupport.Poll;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The nodes' private network carries node-to-node traffic, also on a machine whose iptables drops forwarded packets
 * (a Docker engine sets FORWARD to DROP and turns bridge-nf-call-iptables on): a process in one node's namespace
 * reaches a listener in another's. Before {@link NodeNetwork} accepted its bridge's traffic, this failed on such a
 * machine, and so did every robustness run with partitions (no group elected a leader). Needs root.
 */
class NodeNetworkIT {
  private static final int PORT = 47_211;

  @Test
  void aNodeReachesAnotherThroughTheBridge() throws Exception {
    String why = NodeNetwork.unavailableBecause();
    assumeTrue(why == null, why);
    try (NodeNetwork net = NodeNetwork.create(7)) {
      String b = net.host("n2");
      net.host("n1");
      Process listener = probe(net.launcher("n2"), "listen", b);
      try {
        Process client = probe(net.launcher("n1"), "connect", b);
        assertThat(client.waitFor(30, TimeUnit.SECONDS)).as("the probe ends").isTrue();
        String out = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(client.exitValue()).as("n1 -> n2 (%s), bridged packets filtered: %s; probe said: %s", b,
            NodeNetwork.bridgeTrafficFiltered(), out).isZero();
      } finally {
        listener.destroyForcibly().waitFor();
      }
    }
  }

  private static Process probe(List<String> launcher, String mode, String address) throws IOException {
    List<String> cmd = new ArrayList<>(launcher);
    cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), Probe.class.getName(), mode, address));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  /** Runs inside a namespace: {@code listen A} answers every connection with "ok"; {@code connect A} expects it. */
  public static final class Probe {
    public static void main(String[] args) throws Exception {
      if (args[0].equals("listen")) {
        try (ServerSocket s = new ServerSocket()) {
          s.bind(new InetSocketAddress(args[1], PORT));
          while (true) {
            try (Socket c = s.accept(); OutputStream o = c.getOutputStream()) {
              o.write("ok".getBytes(StandardCharsets.UTF_8));
            }
          }
        }
      }
      AtomicReference<String> answer = new AtomicReference<>();
      try {
        Poll.until("an answer from " + args[1], Duration.ofSeconds(20), Duration.ofMillis(200), () -> {
          try (Socket c = new Socket()) {
            c.connect(new InetSocketAddress(args[1], PORT), 2_000);
            answer.set(new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            return true;
          } catch (IOException stillStarting) {
            return false; // the listener may still be starting: tried again until the deadline
          }
        });
      } catch (AssertionError timedOut) {
        System.out.println("no answer: " + timedOut.getMessage());
        System.exit(1);
      }
      System.out.println("answered: " + answer.get());
      System.exit(answer.get().equals("ok") ? 0 : 1);
    }
  }
}
