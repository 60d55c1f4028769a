package io.kvpipe.testsupport.ratis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.testsupport.Poll;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster starts only once each node has finished its start: a node that binds its port and then fails (kv-node
 * binds its Raft port early in its start) must not pass for a running one, which every later step of a test would then
 * find broken without a word as to why (GroupMembershipIT's CI failure looked like that for n3).
 */
class KvNodeClusterStartTest {
  @TempDir
  Path dir;

  /** Listens on its --listen port like kv-node, then fails its start a moment later. */
  public static final class ListensThenFails {
    public static void main(String[] args) throws IOException, InterruptedException {
      int port = Integer.parseInt(value(args, "--listen").split(":")[1]);
      try (ServerSocket s = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
        System.out.println("listening; failing the rest of the start");
        // Not a wait for anything: the window in which a harness that trusts an open port would take it for started.
        Thread.sleep(1_500);
      }
      System.exit(1);
    }
  }

  /** Listens, then says it is ready, as KvNodeMain does, and serves until stopped. */
  public static final class ListensThenReady {
    public static void main(String[] args) throws IOException, InterruptedException {
      int port = Integer.parseInt(value(args, "--listen").split(":")[1]);
      try (ServerSocket s = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
        System.out.println("kv-node " + value(args, "--id") + " ready");
        Thread.currentThread().join(); // serves until the test stops it
      }
    }
  }

  static String value(String[] args, String flag) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(flag)) {
        return args[i + 1];
      }
    }
    throw new IllegalArgumentException("no " + flag);
  }

  @Test
  void aNodeThatListensAndThenFailsItsStartFailsTheClusterStart() {
    assertThatThrownBy(() -> KvNodeCluster.builder(ListensThenFails.class.getName(), dir).nodes(1)
        .start(Duration.ofSeconds(30)).close())
        .isInstanceOf(Poll.Abort.class)
        .hasMessageContaining("n1 EXITED UNASKED")
        .hasMessageContaining("listening; failing the rest of the start");
  }

  @Test
  void aNodeThatSaysItIsReadyStarts() {
    try (KvNodeCluster c = KvNodeCluster.builder(ListensThenReady.class.getName(), dir).nodes(1)
        .start(Duration.ofSeconds(30))) {
      assertThat(c.process("n1").isAlive()).isTrue();
      assertThat(c.processes()).hasSize(1);
    }
  }
}
