package io.kvpipe.node.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.event.ChangeEventCodec;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.node.KvNodeMain;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.ratis.KvNodeCluster;
import io.kvpipe.testsupport.tls.TestTls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka goes away under writes: they are accepted until the outbox bound, then refused with CDC_BACKLOG_FULL (never
 * acknowledged without a way to the archive); when Kafka returns the outbox drains by itself and nothing is missing.
 */
class CdcKafkaOutageIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
  private static final Duration START = Duration.ofSeconds(90);
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final String TOPIC = "kv.changes.outage";
  private static final int BOUND = 200;

  @TempDir Path dir;

  @Test
  void writesStopAtTheBoundWhileKafkaIsDownAndEverythingArrivesAfterwards() {
    try (KvNodeCluster cluster = KvNodeCluster.builder(KvNodeMain.class.getName(), dir)
        .group("g1", RaftGroupId.valueOf(GroupIds.uuidOf("g1")))
        .args("--kafka-bootstrap", KAFKA.bootstrapServers(), "--topic", TOPIC,
            "--outbox-max-events", String.valueOf(BOUND)).start(START);
         ShardGroupClient client = ShardGroupClient.builder("g1", PeerAddress.parseList(cluster.peersSpec())).tls(TestTls.cluster().raftTls())
             .operationTimeout(Duration.ofSeconds(20)).build()) {
      cluster.awaitLeader("g1", START);
      Set<Long> acked = new HashSet<>();
      for (int i = 0; i < 100; i++) {
        acked.add(client.put("k" + (i % 30), ("before-" + i).getBytes(StandardCharsets.UTF_8)).version());
      }
      awaitOnTopic(acked);

      KAFKA.broker().stop();
      KvException refused = null;
      int acceptedDuringOutage = 0;
      for (int i = 0; i < BOUND * 3 && refused == null; i++) {
        try {
          acked.add(client.put("k" + (i % 30), ("during-" + i).getBytes(StandardCharsets.UTF_8)).version());
          acceptedDuringOutage++;
        } catch (KvException e) {
          refused = e;
        }
      }
      assertThat(refused).as("a write refused once the outbox is full").isNotNull();
      assertThat(refused.code()).isEqualTo(ErrorCode.CDC_BACKLOG_FULL);
      assertThat(acceptedDuringOutage).isGreaterThan(0).isLessThanOrEqualTo(BOUND);

      KAFKA.broker().restart();
      awaitOnTopic(acked);
      // Publishing resumed by itself and confirmed: writes are accepted again.
      Poll.until("writes accepted again", WAIT, () -> {
        try {
          acked.add(client.put("after", "x".getBytes(StandardCharsets.UTF_8)).version());
          return true;
        } catch (KvException e) {
          if (e.code() != ErrorCode.CDC_BACKLOG_FULL) {
            throw e;
          }
          return false;
        }
      });
      awaitOnTopic(acked);
      System.out.printf("cdc-kafka-outage: %d writes accepted during the outage (bound %d), %d acks in all%n",
          acceptedDuringOutage, BOUND, acked.size());
    }
  }

  private static void awaitOnTopic(Set<Long> versions) {
    Poll.until(versions.size() + " acknowledged versions on " + TOPIC, WAIT, Duration.ofMillis(500), () -> {
      Set<Long> seen = new HashSet<>();
      TopicReader.readAll(KAFKA.bootstrapServers(), TOPIC, WAIT)
          .forEach(r -> seen.add(ChangeEventCodec.decode(r.value()).version()));
      return seen.containsAll(versions);
    });
  }
}
