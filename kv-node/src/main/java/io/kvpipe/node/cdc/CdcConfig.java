package io.kvpipe.node.cdc;

import io.kvpipe.common.config.ClientProperties;
import java.util.Set;

import io.kvpipe.common.Limits;
import io.kvpipe.common.event.DebeziumEnvelope;
import io.kvpipe.common.event.EnvelopeOptions;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the CDC publisher and its topic. Defaults live in {@link #defaults(String)}; the node's config parser
 * builds one of these from flags/env and prints it (there are no secrets in it).
 *
 * @param bootstrapServers Kafka {@code bootstrap.servers}
 * @param topic the change topic (created if missing)
 * @param partitions partition count when creating the topic (never changed later: that would reorder keys)
 * @param replicationFactor replication factor when creating the topic
 * @param linger producer {@code linger.ms}: how long a batch may wait to fill
 * @param batchSizeBytes producer {@code batch.size}
 * @param confirmInterval how often the leader commits "published up to N" through Raft
 * @param maxBatchEvents events read from the outbox per step
 * @param maxUnackedEvents events sent but not yet acknowledged by Kafka before the publisher waits
 * @param maxRecordBytes the largest event record; must fit the node's value cap, see {@link #recordBytesFor(int)}
 * @param retryBackoffMax the longest pause between attempts while Kafka is unreachable
 * @param clientProperties the deployment's extra Kafka client properties (SASL, SSL, timeouts) for the producer and
 *     the admin client; keys the publisher's guarantees rest on are refused ({@link #PRODUCER_KEYS})
 * @param envelope how events are written (cluster name, Connect schemas on or off): format 2, docs/events.md
 * @param tombstones whether each delete event is followed by a Kafka tombstone (the record key, no value), so a
 *     compacted topic can drop a deleted key's records
 */
public record CdcConfig(
    String bootstrapServers,
    String topic,
    int partitions,
    short replicationFactor,
    Duration linger,
    int batchSizeBytes,
    Duration confirmInterval,
    int maxBatchEvents,
    int maxUnackedEvents,
    int maxRecordBytes,
    Duration retryBackoffMax,
    ClientProperties clientProperties,
    EnvelopeOptions envelope,
    boolean tombstones) {

  /** Producer settings kvpipe chooses (acks=all, idempotence, endless retries, sizes from the topic). */
  public static final Set<String> PRODUCER_KEYS = Set.of("bootstrap.servers", "acks", "enable.idempotence",
      "max.in.flight.requests.per.connection", "retries", "delivery.timeout.ms", "max.request.size",
      "key.serializer", "value.serializer", "transactional.id", "max.block.ms", "partitioner.class");
  /** Admin settings kvpipe chooses. */
  public static final Set<String> ADMIN_KEYS = Set.of("bootstrap.servers");

  /** With the default envelope and tombstones. */
  public CdcConfig(String bootstrapServers, String topic, int partitions, short replicationFactor, Duration linger,
                   int batchSizeBytes, Duration confirmInterval, int maxBatchEvents, int maxUnackedEvents,
                   int maxRecordBytes, Duration retryBackoffMax, ClientProperties clientProperties) {
    this(bootstrapServers, topic, partitions, replicationFactor, linger, batchSizeBytes, confirmInterval,
        maxBatchEvents, maxUnackedEvents, maxRecordBytes, retryBackoffMax, clientProperties, EnvelopeOptions.DEFAULT,
        DEFAULT_TOMBSTONES);
  }

  /** Without extra client properties. */
  public CdcConfig(String bootstrapServers, String topic, int partitions, short replicationFactor, Duration linger,
                   int batchSizeBytes, Duration confirmInterval, int maxBatchEvents, int maxUnackedEvents,
                   int maxRecordBytes, Duration retryBackoffMax) {
    this(bootstrapServers, topic, partitions, replicationFactor, linger, batchSizeBytes, confirmInterval,
        maxBatchEvents, maxUnackedEvents, maxRecordBytes, retryBackoffMax, ClientProperties.none());
  }

  public static final String DEFAULT_TOPIC = "kv.changes";
  public static final int DEFAULT_PARTITIONS = 3;
  public static final short DEFAULT_REPLICATION_FACTOR = 1;
  public static final Duration DEFAULT_LINGER = Duration.ofMillis(5);
  public static final Duration DEFAULT_CONFIRM_INTERVAL = Duration.ofMillis(100);
  /** Debezium's default too ({@code tombstones.on.delete}); kvpipe's consumer skips them. */
  public static final boolean DEFAULT_TOMBSTONES = true;

  public CdcConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(linger, "linger");
    Objects.requireNonNull(confirmInterval, "confirmInterval");
    Objects.requireNonNull(retryBackoffMax, "retryBackoffMax");
    require(!bootstrapServers.isBlank(), "Kafka bootstrap servers must be set");
    require(topic.matches("[a-zA-Z0-9._-]{1,249}"), "invalid Kafka topic name '" + topic + "'");
    require(partitions >= 1, "partitions must be >= 1, got " + partitions);
    require(replicationFactor >= 1, "replication factor must be >= 1, got " + replicationFactor);
    require(!linger.isNegative() && linger.toMillis() <= 1000, "linger must be within 0..1000 ms, got " + linger);
    require(batchSizeBytes >= 1024, "batch size must be >= 1024 bytes, got " + batchSizeBytes);
    require(confirmInterval.toMillis() >= 1, "confirm interval must be >= 1 ms, got " + confirmInterval);
    require(maxBatchEvents >= 1, "max batch events must be >= 1, got " + maxBatchEvents);
    require(maxUnackedEvents >= maxBatchEvents, "max unacked events must be >= max batch events");
    Objects.requireNonNull(envelope, "envelope");
    require(maxRecordBytes >= recordBytesFor(envelope, 0), "max record bytes must be >= "
        + recordBytesFor(envelope, 0));
    require(retryBackoffMax.toMillis() >= 10, "retry backoff max must be >= 10 ms, got " + retryBackoffMax);
    Objects.requireNonNull(clientProperties, "clientProperties");
    clientProperties.refuse("producer", PRODUCER_KEYS, "the publisher's delivery guarantees rest on them")
        .refuse("admin", ADMIN_KEYS, "set it with --kafka-bootstrap");
  }

  /** The defaults: topic {@value #DEFAULT_TOPIC}, 3 partitions, RF 1, 5 ms linger, confirm every 100 ms. */
  public static CdcConfig defaults(String bootstrapServers) {
    return new CdcConfig(bootstrapServers, DEFAULT_TOPIC, DEFAULT_PARTITIONS, DEFAULT_REPLICATION_FACTOR,
        DEFAULT_LINGER, 256 * 1024, DEFAULT_CONFIRM_INTERVAL, 1000, 20_000, recordBytesFor(Limits.DEFAULT_MAX_VALUE_BYTES), Duration.ofSeconds(5));
  }

  /** The largest encoded event (record key and value) for values of at most {@code maxValueBytes}, default envelope. */
  public static int recordBytesFor(int maxValueBytes) {
    return recordBytesFor(EnvelopeOptions.DEFAULT, maxValueBytes);
  }

  /**
   * The largest encoded event (record key and value) for values of at most {@code maxValueBytes}: before and after,
   * each base64 (4 bytes per 3), the key in the record key and the rows (512 UTF-8 bytes, up to 6 bytes each once
   * JSON-escaped) and the envelope ({@link DebeziumEnvelope#maxEncodedSize}).
   */
  public static int recordBytesFor(EnvelopeOptions envelope, int maxValueBytes) {
    Limits.checkMaxValueBytes(maxValueBytes);
    return Math.toIntExact(DebeziumEnvelope.of(envelope).maxEncodedSize(Limits.MAX_KEY_BYTES, maxValueBytes,
        maxValueBytes));
  }

  /** The writer of this topic's events. */
  public DebeziumEnvelope encoder() {
    return DebeziumEnvelope.of(envelope);
  }

  /** These settings writing events with {@code newEnvelope}; set before {@link #with}, which sizes records for it. */
  public CdcConfig withEnvelope(EnvelopeOptions newEnvelope, boolean newTombstones) {
    return new CdcConfig(bootstrapServers, topic, partitions, replicationFactor, linger, batchSizeBytes,
        confirmInterval, maxBatchEvents, maxUnackedEvents, maxRecordBytes, retryBackoffMax, clientProperties,
        newEnvelope, newTombstones);
  }

  public CdcConfig withTopic(String newTopic) {
    return new CdcConfig(bootstrapServers, newTopic, partitions, replicationFactor, linger, batchSizeBytes,
        confirmInterval, maxBatchEvents, maxUnackedEvents, maxRecordBytes, retryBackoffMax, clientProperties,
        envelope, tombstones);
  }

  /** These settings with the node's own choices of topic layout, producer linger, confirm interval and value cap. */
  public CdcConfig with(String newTopic, int newPartitions, short newReplicationFactor, Duration newLinger,
                        Duration newConfirmInterval, int maxValueBytes) {
    return new CdcConfig(bootstrapServers, newTopic, newPartitions, newReplicationFactor, newLinger, batchSizeBytes,
        newConfirmInterval, maxBatchEvents, maxUnackedEvents, recordBytesFor(envelope, maxValueBytes), retryBackoffMax,
        clientProperties, envelope, tombstones);
  }

  public CdcConfig withClientProperties(ClientProperties properties) {
    return new CdcConfig(bootstrapServers, topic, partitions, replicationFactor, linger, batchSizeBytes,
        confirmInterval, maxBatchEvents, maxUnackedEvents, maxRecordBytes, retryBackoffMax, properties, envelope,
        tombstones);
  }

  public CdcConfig withPartitions(int newPartitions) {
    return new CdcConfig(bootstrapServers, topic, newPartitions, replicationFactor, linger, batchSizeBytes,
        confirmInterval, maxBatchEvents, maxUnackedEvents, maxRecordBytes, retryBackoffMax, clientProperties,
        envelope, tombstones);
  }

  public CdcConfig withRetryBackoffMax(Duration newMax) {
    return new CdcConfig(bootstrapServers, topic, partitions, replicationFactor, linger, batchSizeBytes,
        confirmInterval, maxBatchEvents, maxUnackedEvents, maxRecordBytes, newMax, clientProperties, envelope,
        tombstones);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
