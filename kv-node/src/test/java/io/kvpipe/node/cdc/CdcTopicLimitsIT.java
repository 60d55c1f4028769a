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
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.ratis.KvNodeCluster;
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
 * event the topic could never take is refused up front, and the node reports the limits it found.
 */
class CdcTopicLimitsIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
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
         ShardGroupClient client = ShardGroupClient.builder("g1", PeerAddress.parseList(cluster.peersSpec()))
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

  private static void awaitOnTopic(String topic, Set<Long> versions) {
    Poll.until(versions.size() + " versions on " + topic, WAIT, Duration.ofMillis(300), () -> {
      Set<Long> seen = new HashSet<>();
      TopicReader.readAll(KAFKA.bootstrapServers(), topic, WAIT)
          .forEach(r -> seen.add(ChangeEventCodec.decode(r.value()).version()));
      return seen.containsAll(versions);
    });
  }
}
