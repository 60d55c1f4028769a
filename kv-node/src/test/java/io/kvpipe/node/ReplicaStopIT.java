package io.kvpipe.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.node.shard.TestFaults;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.Ports;
import io.kvpipe.testsupport.tls.TestTls;
import io.micrometer.core.instrument.Gauge;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ratis closes a replica for good when its state machine's applyTransaction throws anything but a KvException, yet
 * keeps listing the group: the node must say so (metrics, an error naming the group and the cause) and must not call
 * itself ready for that group. The failure is real: a test fault makes the real state machine throw while the real
 * Ratis server applies a committed put (the node runs in this JVM, so the fault's system property reaches it).
 */
class ReplicaStopIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;

  @AfterEach
  void clearFault() {
    System.clearProperty(TestFaults.FAIL_APPLY_OF_KEY);
  }

  @Test
  void aReplicaRatisStoppedIsReportedAndNotCountedAsServed() throws Exception {
    System.setProperty(TestFaults.FAIL_APPLY_OF_KEY, "poison");
    int port = Ports.freePort();
    String peers = "n1@127.0.0.1:" + port;
    String[] args = Stream.of(Arrays.stream(new String[] {"--id", "n1", "--metrics-port", "0", "--listen", "127.0.0.1:" + port,
        "--data-dir", dir.toString(), "--group", "g1=" + peers}), Arrays.stream(TestTls.cluster().flags()))
        .flatMap(s -> s).toArray(String[]::new);
    try (KvNode node = KvNode.start(NodeConfig.parse(args, Map.of()));
         ShardGroupClient client = ShardGroupClient.builder("g1", PeerAddress.parseList(peers))
             .tls(TestTls.cluster().raftTls()).build()) {
      Poll.until("n1 ready", WAIT, () -> node.readiness().ready());
      client.put("k", "v".getBytes(StandardCharsets.UTF_8));

      // Its apply throws on the leader: Ratis closes the replica, and the write is never answered.
      client.putAsync("poison", "v".getBytes(StandardCharsets.UTF_8));

      Poll.until("the stopped replica reported in the metrics", WAIT, () -> {
        Gauge g = node.registry().find("kvpipe.node.replica.stopped").tag("group", "g1").gauge();
        return g != null && g.value() == 1;
      });
      assertThat(node.registry().get("kvpipe.node.replicas.stopped").gauge().value()).isEqualTo(1);
      assertThat(node.registry().get("kvpipe.node.replica.stops").counter().count()).isEqualTo(1);
      assertThat(node.replicas().hostedShardGroups()).as("Ratis still lists the group").contains("g1");
      var readiness = node.readiness();
      assertThat(readiness.ready()).isFalse();
      assertThat(readiness.problems()).anySatisfy(p -> assertThat(p).startsWith("group g1:")
          .contains("Ratis stopped this replica").contains("applying log index").contains("test fault"));
    }
  }
}
