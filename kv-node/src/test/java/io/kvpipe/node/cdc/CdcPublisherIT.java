package io.kvpipe.node.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.event.DebeziumEnvelope;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.ChangeEventCodec;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The publisher against a real Kafka broker (child JVM, KRaft): completeness, order, outages, fencing. */
class CdcPublisherIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final int KEYS = 40;

  private final InMemoryOutbox outbox = new InMemoryOutbox("g1");
  private final Map<Long, ChangeEvent> committed = new ConcurrentHashMap<>();
  private final List<CdcPublisher> publishers = new ArrayList<>();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final CdcMetrics metrics = new CdcMetrics(registry, "g1", outbox);

  @AfterEach
  void stopPublishersAndRestoreKafka() {
    publishers.forEach(CdcPublisher::stop);
    if (!KAFKA.broker().isRunning()) {
      KAFKA.broker().restart(); // a failed outage test must not take the broker from the next test
    }
  }

  @Test
  void everyEventArrivesOnceConfirmedInPerKeyOrderWithItsIdentity() throws Exception {
    CdcConfig config = config("cdc-all");
    write(1500);
    CdcPublisher publisher = start(config);
    write(1500);
    publisher.wake();
    awaitConfirmed(3000);

    try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
      assertThat(admin.describeTopics(List.of(config.topic())).allTopicNames().get(30, TimeUnit.SECONDS)
          .get(config.topic()).partitions()).hasSize(3);
    }
    List<ConsumerRecord<byte[], byte[]>> records = readAll(config.topic());
    assertComplete(records, 3000);
    for (ConsumerRecord<byte[], byte[]> r : records) {
      ChangeEvent e = ChangeEventCodec.decode(r.value());
      assertThat(e).isEqualTo(committed.get(e.logIndex()));
      assertThat(DebeziumEnvelope.decodeKey(r.key())).isEqualTo(e.key());
      assertThat(new String(r.headers().lastHeader(ChangeRecords.HEADER_LOG_INDEX).value(), StandardCharsets.UTF_8))
          .isEqualTo(Long.toString(e.logIndex()));
    }
    assertThat(outbox.confirms()).isSorted();
    assertThat(outbox.depth()).isZero();
    assertThat(metrics.publishLag().count()).isGreaterThanOrEqualTo(3000);
  }

  @Test
  void aKafkaOutageHoldsConfirmsBackAndEverythingArrivesAfterIt() {
    CdcConfig config = config("cdc-outage");
    write(500);
    CdcPublisher publisher = start(config);
    awaitConfirmed(500);

    KAFKA.broker().stop();
    write(500);
    publisher.wake();
    // The publisher has tried (events sent and waiting, or a send failed), yet nothing unacknowledged is confirmed.
    Poll.until("a publish attempt during the outage", WAIT,
        () -> registry.get("kvpipe.cdc.unacked.events").gauge().value() > 0 || metrics.kafkaErrors() > 0);
    assertThat(outbox.confirmedIndex()).isEqualTo(500);
    assertThat(outbox.depth()).isEqualTo(500);

    KAFKA.broker().restart();
    write(500);
    publisher.wake();
    awaitConfirmed(1500);
    assertComplete(readAll(config.topic()), 1500);
  }

  @Test
  void aStoppedPublisherSendsNothingMoreAndTheNextLeaderResumesFromTheConfirmedIndex() throws Exception {
    CdcConfig config = config("cdc-fence");
    write(200);
    CdcPublisher deposed = start(config);
    awaitConfirmed(200);

    deposed.stop();
    assertThat(deposed.isRunning()).isFalse();
    write(100);
    deposed.wake();
    // Markers written after the stop: everything the deposed publisher could still have sent precedes them.
    writeMarkers(config.topic());
    List<ConsumerRecord<byte[], byte[]>> afterStop = readAll(config.topic());
    assertThat(afterStop.stream().filter(r -> r.key() != null && !isMarker(r))
        .map(r -> ChangeEventCodec.decode(r.value()).logIndex()))
        .allMatch(index -> index <= 200);

    start(config); // the next leader
    awaitConfirmed(300);
    List<ConsumerRecord<byte[], byte[]>> all = readAll(config.topic());
    all.removeIf(CdcPublisherIT::isMarker);
    assertComplete(all, 300);
  }

  @Test
  void aSnapshotFarLargerThanThePublishersBoundCompletesOnARealBroker() {
    CdcConfig base = config("cdc-big-snapshot");
    CdcConfig tight = new CdcConfig(base.bootstrapServers(), base.topic(), 3, (short) 1, base.linger(),
        base.batchSizeBytes(), base.confirmInterval(), 100, 200, base.maxRecordBytes(), base.retryBackoffMax());
    write(10);
    List<String> keys = java.util.stream.IntStream.range(0, 20_000).mapToObj(i -> "snap-" + i).toList();
    long snapshotIndex = outbox.putAll(keys).getFirst().logIndex(); // 100 times the unacked bound, at one index
    write(10);
    start(tight);
    awaitConfirmed(snapshotIndex + 10);
    java.util.Set<Integer> seqs = new java.util.HashSet<>();
    for (ConsumerRecord<byte[], byte[]> r : readAll(tight.topic())) {
      ChangeEvent e = ChangeEventCodec.decode(r.value());
      if (e.logIndex() == snapshotIndex) {
        seqs.add(e.seq());
      }
    }
    assertThat(seqs).hasSize(keys.size());
    assertThat(metrics.kafkaErrors()).isZero();
  }

  private CdcConfig config(String topic) {
    return CdcConfig.defaults(KAFKA.bootstrapServers()).withTopic(topic).withPartitions(3)
        .withRetryBackoffMax(Duration.ofMillis(500));
  }

  private CdcPublisher start(CdcConfig config) {
    CdcPublisher p = new CdcPublisher("g1", config, outbox, outbox, () -> true, metrics,
        new TopicStatus(config, io.kvpipe.common.Limits.DEFAULT_MAX_VALUE_BYTES, new SimpleMeterRegistry()));
    publishers.add(p);
    p.start();
    return p;
  }

  private void write(int n) {
    for (int i = 0; i < n; i++) {
      long next = outbox.lastIndex() + 1;
      ChangeEvent e = outbox.put("key-" + (next % KEYS), "value-" + next);
      committed.put(e.logIndex(), e);
    }
  }

  private void awaitConfirmed(long index) {
    Poll.until("confirmed index " + index + " (at " + outbox.confirmedIndex() + ")", WAIT,
        () -> outbox.confirmedIndex() >= index);
    assertThat(outbox.confirmedIndex()).isEqualTo(index);
  }

  /** Every index 1..n present (duplicates allowed: same identity, same bytes); per key, versions only increase. */
  private void assertComplete(List<ConsumerRecord<byte[], byte[]>> records, long n) {
    Map<Long, ChangeEvent> byIndex = new HashMap<>();
    Map<String, List<Long>> firstSeenVersionsByKey = new LinkedHashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      ChangeEvent e = ChangeEventCodec.decode(r.value());
      ChangeEvent earlier = byIndex.putIfAbsent(e.logIndex(), e);
      if (earlier != null) {
        assertThat(e).as("republished event keeps its identity and content").isEqualTo(earlier);
      } else {
        firstSeenVersionsByKey.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e.version());
      }
    }
    assertThat(byIndex.keySet()).hasSize((int) n).allMatch(i -> i >= 1 && i <= n);
    firstSeenVersionsByKey.forEach((key, versions) ->
        assertThat(versions).as("versions of %s in first-seen order", key).isSorted().doesNotHaveDuplicates());
  }

  private static Properties clientProps() {
    Properties p = new Properties();
    p.put("bootstrap.servers", KAFKA.bootstrapServers());
    return p;
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
    return TopicReader.readAll(KAFKA.bootstrapServers(), topic, WAIT);
  }

  private static void writeMarkers(String topic) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer =
             new KafkaProducer<>(clientProps(), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (PartitionInfo pi : producer.partitionsFor(topic)) {
        producer.send(new ProducerRecord<>(topic, pi.partition(), "marker".getBytes(StandardCharsets.UTF_8),
            new byte[0])).get(30, TimeUnit.SECONDS);
      }
    }
  }

  private static boolean isMarker(ConsumerRecord<byte[], byte[]> r) {
    return r.value().length == 0;
  }
}
