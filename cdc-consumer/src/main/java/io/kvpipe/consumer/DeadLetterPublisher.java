package io.kvpipe.consumer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes dead letters to the dead-letter topic with the original key and bytes, and the reason and origin in
 * headers. Called before the batch's MySQL transaction commits, so a crash in between may publish a dead letter twice
 * (the {@code kv_dead_letter} table stays exactly-once). Thread-safe (KafkaProducer is).
 */
final class DeadLetterPublisher implements AutoCloseable {
  private static final long SEND_TIMEOUT_MS = 30_000;
  private final String topic;
  private final KafkaProducer<byte[], byte[]> producer;

  DeadLetterPublisher(String bootstrapServers, String topic) {
    this.topic = topic;
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "kvpipe-archive-dlq");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "25000");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(64 << 20));
    producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Sends all and waits for every acknowledgement; throws {@link KafkaException} if any is not acknowledged. */
  void publish(List<DeadLetter> letters) {
    if (letters.isEmpty()) {
      return;
    }
    List<Future<RecordMetadata>> acks = new ArrayList<>(letters.size());
    for (DeadLetter d : letters) {
      RecordHeaders h = new RecordHeaders();
      h.add("kvpipe.dlq.reason", d.reason().getBytes(StandardCharsets.UTF_8));
      h.add("kvpipe.dlq.source", (d.topic() + "/" + d.partition() + "/" + d.offset()).getBytes(StandardCharsets.UTF_8));
      acks.add(producer.send(new ProducerRecord<>(topic, null, d.recordKey(), d.recordValue(), h)));
    }
    for (Future<RecordMetadata> f : acks) {
      try {
        f.get(SEND_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new KafkaException("interrupted while publishing dead letters", e);
      } catch (ExecutionException | TimeoutException e) {
        throw new KafkaException("dead letter not acknowledged by topic " + topic, e);
      }
    }
  }

  @Override
  public void close() {
    producer.close(java.time.Duration.ofSeconds(5));
  }
}
