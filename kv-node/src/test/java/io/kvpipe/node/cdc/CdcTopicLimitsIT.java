package io.kvpipe.node.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.Versions;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.event.ChangeEventCodec;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.node.KvNodeMain;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.Ports;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.ratis.KvNodeCluster;
import io.kvpipe.testsupport.tls.TestTls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The change topic's real settings against what the node accepts (kv-node processes, a real broker): a write whose
 * event the topic could never take is refused up front, the node reports the limits it found and a topic that can lose
 * acknowledged events, and a leader without Kafka in a publishing group says so loudly.
 */
class CdcTopicLimitsIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();
  private static final Duration START = Duration.ofSeconds(90);
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void aWriteWhoseEventTheTopicCouldNeverTakeIsRefusedAndPublishingGoesOn() throws Exception {
    // The topic exists already (an operator made it, or Kafka's defaults did) and takes records of at most 100 kB:
    // far less than an event of a value of the node's 1 MiB cap needs.
    String topic = "kv.changes.small";
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("max.message.bytes", "100000"))))
          .all().get(30, TimeUnit.SECONDS);
    }
    try (KvNodeCluster cluster = KvNodeCluster.builder(KvNodeMain.class.getName(), dir).nodes(1)
        .group("g1", RaftGroupId.valueOf(GroupIds.uuidOf("g1")))
        .args("--kafka-bootstrap", KAFKA.bootstrapServers(), "--topic", topic, "--cdc-confirm-interval-ms", "50")
        .start(START);
         ShardGroupClient client = ShardGroupClient.builder("g1", PeerAddress.parseList(cluster.peersSpec())).tls(TestTls.cluster().raftTls())
             .operationTimeout(Duration.ofSeconds(20)).build()) {
      cluster.awaitLeader("g1", START);
      long first = client.put("small-1", "x".getBytes(StandardCharsets.UTF_8)).version();
      awaitOnTopic(topic, Set.of(first));

      KvException refused = null;
      try {
        client.put("big", new byte[200_000]); // legal for the node (cap 1 MiB); its event is ~267 kB of JSON
      } catch (KvException e) {
        refused = e;
      }
      long second = client.put("small-2", "y".getBytes(StandardCharsets.UTF_8)).version();
      // Published and confirmed: an event Kafka refuses for good would hold every later confirm back forever (the
      // outbox then fills and the group answers 503), even though later events still reach the topic around it.
      Poll.until("the write after it confirmed as published", WAIT,
          () -> client.status().confirmedIndex() >= Versions.logIndex(second));
      awaitOnTopic(topic, Set.of(first, second));
      assertThat(refused).as("the write whose event the topic refuses").isNotNull();
      assertThat(refused.code()).isEqualTo(ErrorCode.VALUE_TOO_LARGE);
      assertThat(refused.getMessage()).contains(topic, "max.message.bytes");
      assertThat(client.get("big")).as("a refused write changes nothing").isEmpty();
      assertThat(cluster.process("n1").logTail(400)).contains("CDC limits", "max.message.bytes=100000");
    }
  }

  @Test
  void aTopicThatCanLoseAcknowledgedEventsIsReportedAtStart() throws Exception {
    int metricsPort = Ports.freePort();
    try (KvNodeCluster cluster = KvNodeCluster.builder(KvNodeMain.class.getName(), dir).nodes(1)
        .group("g1", RaftGroupId.valueOf(GroupIds.uuidOf("g1")))
        .args("--kafka-bootstrap", KAFKA.bootstrapServers(), "--topic", "kv.changes.rf1", "--cdc-replication-factor",
            "1", "--metrics-port", String.valueOf(metricsPort)).start(START)) {
      // One broker: replication factor 1 and min.insync.replicas 1, the dev stack's (and the default's) weakness.
      Poll.until("a durability warning in the log", WAIT,
          () -> cluster.process("n1").logTail(400).contains("can LOSE acknowledged change events"));
      assertThat(cluster.process("n1").logTail(400)).contains("replication factor 1", "min.insync.replicas=1");
      Poll.until("the durability gauge", WAIT,
          () -> scrape(metricsPort).contains("kvpipe_cdc_topic_durability_weak 1.0"));
    }
  }

  @Test
  void aLeaderWithoutKafkaOfAGroupWhoseChangesArePublishedIsReportedLoudly() throws Exception {
    String topic = "kv.changes.mixed";
    int metricsPort = Ports.freePort();
    // n1 was started without --kafka-bootstrap by mistake; n2 and n3 publish.
    try (KvNodeCluster cluster = KvNodeCluster.builder(KvNodeMain.class.getName(), dir)
        .group("g1", RaftGroupId.valueOf(GroupIds.uuidOf("g1")))
        .args("--topic", topic, "--cdc-confirm-interval-ms", "50")
        .nodeArgs("n1", "--metrics-port", String.valueOf(metricsPort))
        .nodeArgs("n2", "--kafka-bootstrap", KAFKA.bootstrapServers())
        .nodeArgs("n3", "--kafka-bootstrap", KAFKA.bootstrapServers()).start(START);
         ShardGroupClient client = ShardGroupClient.builder("g1", PeerAddress.parseList(cluster.peersSpec())).tls(TestTls.cluster().raftTls())
             .operationTimeout(Duration.ofSeconds(20)).build()) {
      cluster.awaitLeader("g1", START);
      Poll.until("n2 leads g1", WAIT, () -> "n2".equals(cluster.leader("g1").orElse(null))
          || cluster.transferLeadership("g1", "n2", Duration.ofSeconds(5)));
      long v = client.put("k", "v".getBytes(StandardCharsets.UTF_8)).version();
      // On a loaded box an election may hand g1 to n1 (no Kafka) before n2 confirmed: hand it back until it has.
      Poll.until("the write published and confirmed by n2", WAIT, () -> {
        if (!"n2".equals(cluster.leader("g1").orElse(null))) {
          cluster.transferLeadership("g1", "n2", Duration.ofSeconds(5));
        }
        return client.status().confirmedIndex() >= Versions.logIndex(v);
      });
      Poll.until("n1 leads g1", WAIT, () -> "n1".equals(cluster.leader("g1").orElse(null))
          || cluster.transferLeadership("g1", "n1", Duration.ofSeconds(5)));
      Poll.until("n1 reporting that it leads a publishing group without Kafka", WAIT,
          () -> cluster.process("n1").logTail(400).contains("leads group g1 without --kafka-bootstrap"));
      assertThat(cluster.process("n1").logTail(400)).contains("CDC is OFF on this node");
      Poll.until("the gauge", WAIT, () -> scrape(metricsPort).contains("kvpipe_cdc_off_leader{group=\"g1\"} 1.0"));
    }
  }

  private static String scrape(int port) {
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (java.io.IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void awaitOnTopic(String topic, Set<Long> versions) {
    Poll.until(versions.size() + " versions on " + topic, WAIT, Duration.ofMillis(300), () -> {
      Set<Long> seen = new HashSet<>();
      TopicReader.readAll(KAFKA.bootstrapServers(), topic, WAIT)
          .forEach(r -> seen.add(ChangeEventCodec.decode(r.value()).version()));
      return seen.containsAll(versions);
    });
  }
}
