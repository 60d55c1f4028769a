package io.kvpipe.consumer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes dead letters to the dead-letter topic with the original key and bytes, and the reason and origin in
 * headers. Called before the batch's MySQL transaction commits, so a crash in between may publish a dead letter twice
 * (the {@code kv_dead_letter} table stays exactly-once). Thread-safe (KafkaProducer and Admin are).
 *
 * <p>The table is the durable record of a dead letter; the topic is a copy for tools. So no dead letter may block its
 * partition because of the topic: one the topic refuses as too large goes there as a stub (key cut to 1 KiB, no value,
 * sizes in a header); a topic that is missing is created, and if that is refused the letters go to the table only,
 * marked "not published" and counted ({@code kvpipe.archive.dead.letters.unpublished}). Only a Kafka that does not
 * answer at all fails the batch (it is retried, like any outage).
 */
final class DeadLetterPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DeadLetterPublisher.class);
  private static final long SEND_TIMEOUT_MS = 30_000;
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(10);
  /** How long "the topic cannot be had" is believed before trying again. */
  private static final long UNAVAILABLE_RECHECK_NANOS = TimeUnit.SECONDS.toNanos(60);
  static final int MAX_REQUEST_BYTES = 64 << 20;
  static final int STUB_KEY_BYTES = 1024;

  private final String topic;
  private final KafkaProducer<byte[], byte[]> producer;
  private final Admin admin;
  private final KafkaClientMetrics producerMeters;
  private final Counter unpublished;
  /** Why the topic cannot be published to, or null; with the time to look again. */
  private volatile String unavailable;
  private volatile long recheckNanos;

  DeadLetterPublisher(String bootstrapServers, String topic, MeterRegistry registry) {
    this(bootstrapServers, topic, registry, io.kvpipe.common.config.ClientProperties.none());
  }

  /** @param extra the deployment's Kafka client properties (producer and admin sections) */
  DeadLetterPublisher(String bootstrapServers, String topic, MeterRegistry registry,
                      io.kvpipe.common.config.ClientProperties extra) {
    this.topic = topic;
    Properties p = new Properties();
    p.putAll(extra.forClient("producer"));
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "kvpipe-archive-dlq");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "25000");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(MAX_REQUEST_BYTES));
    producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    producerMeters = new KafkaClientMetrics(producer); // client_id="kvpipe-archive-dlq"
    producerMeters.bindTo(registry);
    Map<String, Object> a = new java.util.HashMap<>(extra.forClient("admin"));
    a.putAll(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        AdminClientConfig.CLIENT_ID_CONFIG, "kvpipe-archive-dlq-admin",
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) ADMIN_TIMEOUT.toMillis(),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) ADMIN_TIMEOUT.toMillis()));
    admin = Admin.create(a);
    unpublished = Counter.builder("kvpipe.archive.dead.letters.unpublished")
        .description("dead letters kept in MySQL only: the dead-letter topic was missing and could not be created")
        .register(registry);
  }

  /**
   * Creates the topic if it is missing (the broker may not create topics on use); logs what it found. Never throws:
   * a Kafka that does not answer yet is dealt with at the first dead letter.
   */
  void ensureTopic() {
    try {
      checkTopic();
    } catch (KafkaException e) {
      log.warn("cannot check the dead-letter topic {} yet: {}", topic, e.getMessage());
    }
  }

  /**
   * Sends all and waits for every acknowledgement. Returns the letters to store in the table: the same ones, a letter
   * marked when the topic got only a stub or nothing. Throws {@link KafkaException} only when Kafka does not answer.
   */
  List<DeadLetter> publish(List<DeadLetter> letters) {
    if (letters.isEmpty()) {
      return letters;
    }
    String gone = unavailable();
    if (gone != null) {
      return unpublished(letters, gone);
    }
    List<Future<RecordMetadata>> acks = new ArrayList<>(letters.size());
    for (DeadLetter d : letters) {
      acks.add(producer.send(new ProducerRecord<>(topic, null, d.recordKey(), d.recordValue(), headers(d))));
    }
    List<DeadLetter> out = new ArrayList<>(letters.size());
    for (int i = 0; i < letters.size(); i++) {
      DeadLetter d = letters.get(i);
      Throwable failure = await(acks.get(i));
      if (failure == null) {
        out.add(d);
      } else if (failure instanceof RecordTooLargeException) {
        out.add(publishStub(d, failure));
      } else if (!(failure instanceof RetriableException)) {
        out.addAll(unpublished(List.of(d), failure.toString())); // e.g. not authorized: a retry cannot help
      } else {
        // Missing topic (the producer waits for its metadata, then times out) or an outage: ask which.
        String why = checkTopic();
        if (why == null) {
          throw new KafkaException("dead letter not acknowledged by topic " + topic, failure);
        }
        out.addAll(unpublished(letters.subList(i, letters.size()), why));
        break;
      }
    }
    return out;
  }

  /** The topic refused the letter as too large: a stub goes there instead, the table keeps the whole record. */
  private DeadLetter publishStub(DeadLetter d, Throwable tooLarge) {
    RecordHeaders h = headers(d);
    h.add("kvpipe.dlq.truncated", ("record of " + length(d.recordKey()) + " key bytes and " + length(d.recordValue())
        + " value bytes is larger than this topic accepts; the whole record is in kv_dead_letter")
        .getBytes(StandardCharsets.UTF_8));
    byte[] key = d.recordKey() == null || d.recordKey().length <= STUB_KEY_BYTES ? d.recordKey()
        : Arrays.copyOf(d.recordKey(), STUB_KEY_BYTES);
    Throwable failure = await(producer.send(new ProducerRecord<>(topic, null, key, null, h)));
    if (failure == null) {
      log.warn("dead letter {}/{}/{} is larger than topic {} accepts ({}); published a stub", d.topic(),
          d.partition(), d.offset(), topic, tooLarge.getMessage());
      return d.withNote("only a stub on dead-letter topic " + topic + ": " + tooLarge.getMessage());
    }
    return unpublished(List.of(d), "even a stub was refused: " + failure).getFirst();
  }

  private List<DeadLetter> unpublished(List<DeadLetter> letters, String why) {
    unpublished.increment(letters.size());
    log.error("{} dead letter(s) not published to dead-letter topic {} (kept in kv_dead_letter only): {}",
        letters.size(), topic, why);
    List<DeadLetter> out = new ArrayList<>(letters.size());
    for (DeadLetter d : letters) {
      out.add(d.withNote("not published to dead-letter topic " + topic + ": " + why));
    }
    return out;
  }

  private String unavailable() {
    String why = unavailable;
    if (why != null && System.nanoTime() >= recheckNanos) {
      why = checkTopic();
    }
    return why;
  }

  /**
   * Whether the topic exists, creating it if not: null if it exists (now), else why it cannot be had (remembered for a
   * while). Throws {@link KafkaException} if Kafka does not answer.
   */
  private synchronized String checkTopic() {
    String why;
    try {
      admin.describeTopics(List.of(topic)).allTopicNames().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      why = null;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        why = create();
      } else if (e.getCause() instanceof RetriableException) {
        throw new KafkaException("cannot describe dead-letter topic " + topic, e.getCause());
      } else {
        why = "topic " + topic + " cannot be used: " + e.getCause(); // an invalid name, no authorization
      }
    } catch (TimeoutException e) {
      throw new KafkaException("Kafka did not answer within " + ADMIN_TIMEOUT + " about topic " + topic, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while checking topic " + topic, e);
    }
    unavailable = why;
    recheckNanos = System.nanoTime() + UNAVAILABLE_RECHECK_NANOS;
    return why;
  }

  /** Creates the topic (1 partition, the broker's replication factor); null if it exists now, else why not. */
  private String create() {
    NewTopic t = new NewTopic(topic, Optional.of(1), Optional.empty())
        .configs(Map.of("max.message.bytes", String.valueOf(MAX_REQUEST_BYTES)));
    try {
      admin.createTopics(List.of(t)).all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      log.info("created dead-letter topic {}", topic);
      return null;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TopicExistsException) {
        return null;
      }
      if (e.getCause() instanceof RetriableException) {
        throw new KafkaException("cannot create dead-letter topic " + topic, e.getCause());
      }
      String why = "topic " + topic + " is missing and cannot be created: " + e.getCause().getMessage();
      log.error("dead letters will be kept in kv_dead_letter only: {}", why);
      return why;
    } catch (TimeoutException e) {
      throw new KafkaException("Kafka did not answer within " + ADMIN_TIMEOUT + " creating topic " + topic, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while creating topic " + topic, e);
    }
  }

  private static RecordHeaders headers(DeadLetter d) {
    RecordHeaders h = new RecordHeaders();
    h.add("kvpipe.dlq.reason", d.reason().getBytes(StandardCharsets.UTF_8));
    h.add("kvpipe.dlq.source", (d.topic() + "/" + d.partition() + "/" + d.offset()).getBytes(StandardCharsets.UTF_8));
    return h;
  }

  /** The send's failure, or null once acknowledged. */
  private static Throwable await(Future<RecordMetadata> ack) {
    try {
      ack.get(SEND_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while publishing dead letters", e);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (TimeoutException e) {
      return e;
    }
  }

  private static int length(byte[] b) {
    return b == null ? 0 : b.length;
  }

  @Override
  public void close() {
    try (admin; producerMeters) {
      producer.close(Duration.ofSeconds(5));
    }
  }
}
