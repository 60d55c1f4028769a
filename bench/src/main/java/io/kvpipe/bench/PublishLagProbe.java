package io.kvpipe.bench;

import io.kvpipe.common.event.ChangeEventCodec;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.bench.LatencyRecorder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the change topic from its end and records, for every event, the time from the leader's stamp ({@code ts_ms},
 * taken when the leader accepted the write) to the moment this consumer sees it: the publish lag as a downstream
 * reader experiences it (an upper bound of commit → Kafka ack). One thread owns the consumer.
 */
final class PublishLagProbe implements AutoCloseable {
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Thread thread;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong seen = new AtomicLong();
  private volatile LatencyRecorder recorder = new LatencyRecorder(1);

  PublishLagProbe(String bootstrap, String topic) {
    consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = Poll.forValue("topic " + topic + " to exist", Duration.ofSeconds(60), () -> {
      var infos = consumer.partitionsFor(topic, Duration.ofSeconds(2));
      return infos == null || infos.isEmpty() ? null
          : infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
    });
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position);
    thread = new Thread(this::loop, "publish-lag-probe");
    thread.setDaemon(true);
    thread.start();
  }

  /** Starts a new measurement window; events seen from now on are recorded into the returned recorder. */
  LatencyRecorder startWindow(int capacity) {
    LatencyRecorder r = new LatencyRecorder(capacity);
    seen.set(0);
    recorder = r;
    return r;
  }

  long seen() {
    return seen.get();
  }

  private void loop() {
    while (running.get()) {
      for (ConsumerRecord<byte[], byte[]> rec : consumer.poll(Duration.ofMillis(50))) {
        if (rec.value() == null) {
          continue; // the tombstone after a delete: not an event
        }
        long now = System.currentTimeMillis();
        long ts = ChangeEventCodec.decode(rec.value()).tsMs();
        recorder.record(Math.max(0, now - ts) * 1_000_000L);
        seen.incrementAndGet();
      }
    }
    consumer.close();
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    thread.join(10_000);
  }
}
