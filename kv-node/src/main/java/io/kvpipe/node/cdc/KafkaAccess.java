package io.kvpipe.node.cdc;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** What the publisher needs from Kafka; a seam so unit tests can drive acks and failures by hand. */
interface KafkaAccess {
  /** Creates the topic if missing; throws if Kafka cannot be reached. */
  void ensureTopic();

  Producer<byte[], byte[]> newProducer();

  /**
   * The real thing; every topic check also tells {@code status} the topic's settings, and the producer's own metrics
   * (Kafka's client metrics as meters tagged with its client id, {@code kvpipe-cdc-<group>}) go to {@code registry}.
   */
  static KafkaAccess of(CdcConfig config, String groupId, TopicStatus status, MeterRegistry registry) {
    return new KafkaAccess() {
      /** The meters of the newest producer: a group has one at a time, and a new one replaces the abandoned one's. */
      private KafkaClientMetrics meters;

      @Override
      public void ensureTopic() {
        status.update(ChangeTopic.ensure(config, Duration.ofSeconds(5)));
      }

      @Override
      public synchronized Producer<byte[], byte[]> newProducer() {
        Producer<byte[], byte[]> p = new KafkaProducer<>(producerProperties(config, groupId), new ByteArraySerializer(),
            new ByteArraySerializer());
        if (meters != null) {
          meters.close();
        }
        meters = new KafkaClientMetrics(p);
        meters.bindTo(registry);
        return p;
      }
    };
  }

  /** The producer's {@code max.request.size}: the largest event for the node's value cap, plus slack. */
  static int maxRequestBytes(CdcConfig config) {
    return config.maxRecordBytes() + ChangeTopic.RECORD_OVERHEAD_BYTES;
  }

  /**
   * Idempotent, acks=all, at most 5 requests in flight: the broker then appends a partition's batches in send order
   * or not at all (sequence numbers), so there is never a gap that a later event could jump. Deliveries never time
   * out inside the producer (it retries until Kafka is back); only non-retriable errors fail a send, and the
   * publisher then abandons the producer and resends from the last contiguous ack.
   */
  static Properties producerProperties(CdcConfig config, String groupId) {
    int maxRequest = maxRequestBytes(config);
    Properties p = new Properties();
    // The deployment's extras first (SASL, SSL, timeouts...); kvpipe's own choices below (CdcConfig refuses a file
    // that sets one of those).
    p.putAll(config.clientProperties().forClient("producer"));
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "kvpipe-cdc-" + groupId);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    p.put(ProducerConfig.RETRIES_CONFIG, Integer.MAX_VALUE);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
    p.put(ProducerConfig.LINGER_MS_CONFIG, (int) config.linger().toMillis());
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, config.batchSizeBytes());
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxRequest);
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(32L << 20, 2L * maxRequest));
    // A send blocks the publisher thread at most this long (metadata unknown or buffer full), keeping stop() prompt.
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1000);
    p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
    // A key's partition follows its KV key, as in format 1, not the bytes of the key struct.
    p.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, KvKeyPartitioner.class.getName());
    return p;
  }
}
