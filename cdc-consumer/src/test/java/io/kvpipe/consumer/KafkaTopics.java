package io.kvpipe.consumer;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.LegacyEnvelope;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Kafka plumbing for tests and the benchmark: topics, an event producer (optionally paced), reading a topic back. */
final class KafkaTopics {
  private KafkaTopics() {}

  static void create(String bootstrap, int partitions, String... topics) {
    create(bootstrap, partitions, Map.of(), topics);
  }

  /** Creates the topics with these topic-level settings (e.g. max.message.bytes). */
  static void create(String bootstrap, int partitions, Map<String, String> configs, String... topics) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      List<NewTopic> list = new ArrayList<>();
      for (String t : topics) {
        list.add(new NewTopic(t, partitions, (short) 1).configs(configs));
      }
      admin.createTopics(list).all().get(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("cannot create topics " + List.of(topics), e);
    }
  }

  /** Moves the log start of {@code tp} to {@code offset}, as retention would: the records before it are gone. */
  static void deleteRecordsBefore(String bootstrap, TopicPartition tp, long offset) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(offset))).all().get(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("cannot delete records of " + tp + " before " + offset, e);
    }
  }

  /** Sends event i to partition {@code i % partitions} (not by key), and flushes. */
  static void produceRoundRobin(String bootstrap, String topic, int partitions, List<ChangeEvent> events) {
    try (KafkaProducer<byte[], byte[]> p = producer(bootstrap)) {
      SendErrors errors = new SendErrors();
      for (int i = 0; i < events.size(); i++) {
        ChangeEvent e = events.get(i);
        p.send(new ProducerRecord<>(topic, i % partitions, e.key().getBytes(StandardCharsets.UTF_8),
            LegacyEnvelope.encode(e)), errors);
      }
      p.flush();
      errors.throwIfAny(topic);
    }
  }

  /**
   * Remembers the first failed send: a record the broker never took would otherwise leave a test waiting for rows that
   * can never arrive, and blame the consumer.
   */
  private static final class SendErrors implements Callback {
    private final AtomicReference<Exception> first = new AtomicReference<>();
    private final AtomicLong failed = new AtomicLong();

    @Override
    public void onCompletion(RecordMetadata metadata, Exception e) {
      if (e != null) {
        failed.incrementAndGet();
        first.compareAndSet(null, e);
      }
    }

    void throwIfAny(String topic) {
      if (first.get() != null) {
        throw new IllegalStateException(failed.get() + " records were not written to " + topic, first.get());
      }
    }
  }

  /**
   * Not idempotent, on purpose: right after a topic is created the broker once answered a batch it had appended with
   * NOT_LEADER_OR_FOLLOWER, and the idempotent producer's resend of sequence 0 then met OUT_OF_ORDER_SEQUENCE_NUMBER
   * for two minutes until the delivery timeout dropped the records (a suite run: "timed out waiting for all 1400 events
   * archived"). A plain resend may duplicate a record instead, which the archive absorbs like any republished event.
   */
  static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false",
        ProducerConfig.LINGER_MS_CONFIG, "5", ProducerConfig.BATCH_SIZE_CONFIG, "262144",
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4"),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Sends every event keyed by its key, at most {@code perSecond} per second (0 = unpaced), and flushes. */
  static void produce(String bootstrap, String topic, List<ChangeEvent> events, int perSecond) {
    produce(bootstrap, topic, events, perSecond,
        e -> new ProducerRecord<>(topic, e.key().getBytes(StandardCharsets.UTF_8), LegacyEnvelope.encode(e)));
  }

  /** As {@link #produce(String, String, List, int)}, each event sent as the record {@code toRecord} makes of it. */
  static void produce(String bootstrap, String topic, List<ChangeEvent> events, int perSecond,
                      Function<ChangeEvent, ProducerRecord<byte[], byte[]>> toRecord) {
    try (KafkaProducer<byte[], byte[]> p = producer(bootstrap)) {
      long start = System.nanoTime();
      SendErrors errors = new SendErrors();
      for (int i = 0; i < events.size(); i++) {
        p.send(toRecord.apply(events.get(i)), errors);
        if (perSecond > 0 && i % 100 == 99) {
          long due = start + (long) ((i + 1) * 1e9 / perSecond);
          LockSupport.parkNanos(due - System.nanoTime()); // pacing the load, not waiting for a condition
        }
      }
      p.flush();
      errors.throwIfAny(topic);
    }
  }

  /** Reads {@code count} records from the start of {@code topic} (fails after {@code timeout}). */
  static List<ConsumerRecord<byte[], byte[]>> read(String bootstrap, String topic, int count, Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.GROUP_ID_CONFIG, "reader-" + System.nanoTime(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (out.size() < count && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    if (out.size() < count) {
      throw new AssertionError("read " + out.size() + " of " + count + " records from " + topic + " in " + timeout);
    }
    return out;
  }
}
