package io.kvpipe.consumer;

import io.kvpipe.common.metrics.StandardMeters;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One archiving consumer with everything it owns: the pool, the Kafka consumer, the dead-letter producer, the metrics
 * endpoint and the {@link ArchiveLoop}. {@link #run()} blocks on the calling thread until {@link #stop()}; then
 * {@link #close()} releases everything. Used by {@link ConsumerMain} and by tests that run a consumer in-process.
 */
public final class ArchiveService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ArchiveService.class);

  private final io.kvpipe.consumer.ConsumerConfig config;
  // Filters first: they apply to meters registered after them (no Kafka rates/averages; buckets on every timer).
  private final PrometheusMeterRegistry registry =
      StandardMeters.configure(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  private final HikariDataSource dataSource;
  private final DeadLetterPublisher deadLetters;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final MetricsServer metricsServer;
  private final ConsumerHealth health;
  private final ArchiveLoop loop;
  private volatile boolean stopping;

  public ArchiveService(io.kvpipe.consumer.ConsumerConfig config) throws IOException {
    this.config = config;
    dataSource = ArchiveDataSource.create(config.jdbcUrl(), config.jdbcUser(), config.jdbcPassword(),
        config.poolSize(), config.jdbcProperties().all(), config.changelogLoad(), registry);
    StandardMeters.bindJvm(registry);
    deadLetters = new DeadLetterPublisher(config.bootstrapServers(), config.dlqTopic(), registry,
        config.kafkaProperties());
    consumer = new KafkaConsumer<>(kafkaProperties(config), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    new KafkaClientMetrics(consumer).bindTo(registry);
    StoppedPartitions stopped = new StoppedPartitions(registry);
    OffsetStore offsets = new OffsetStore(dataSource, config.groupId());
    loop = new ArchiveLoop(consumer, config.topic(), Duration.ofMillis(config.pollTimeoutMs()), new EventDecoder(),
        new ArchiveWriter(dataSource, offsets, config.statementRows(), config.changelogLoad()), offsets, deadLetters,
        new ArchiveMetrics(registry), new Backoff(config.maxBackoffMs()), config.writerThreads(),
        config.resetOffsets(), stopped, Duration.ofMillis(config.kafkaCommitIntervalMs()));
    health = new ConsumerHealth(dataSource, loop::assignedPartitions, stopped::problems, loop::writeProblems,
        DB_PING_INTERVAL);
    metricsServer = config.metricsPort() > 0 ? new MetricsServer(config.metricsPort(), registry, health::checks)
        : null;
    if (metricsServer != null) {
      health.start();
    }
  }

  /** How often readiness pings the archive database. */
  private static final Duration DB_PING_INTERVAL = Duration.ofSeconds(2);
  /** The consumer's {@code fetch.min.bytes} unless the deployment's Kafka properties set it; see kafkaProperties. */
  static final int FETCH_MIN_BYTES = 32 * 1024;
  /** The consumer's {@code fetch.max.wait.ms} unless the deployment's Kafka properties set it. */
  static final int FETCH_MAX_WAIT_MS = 20;

  /** Migrates the schema (unless disabled), then archives until {@link #stop()}. */
  public void run() throws InterruptedException {
    if (config.flyway()) {
      migrateWithRetry();
    }
    if (stopping) {
      return;
    }
    deadLetters.ensureTopic(); // nobody else creates it, and brokers may not create topics on first use
    log.info("archiving topic {} as group {}{}", config.topic(), config.groupId(),
        metricsServer != null ? ", metrics on :" + metricsServer.port() + "/metrics, readiness on /ready" : "");
    loop.run();
  }

  /** Any thread: the batch in flight completes or rolls back, then {@link #run()} returns. */
  public void stop() {
    stopping = true;
    loop.stop();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The schema must exist before any batch; MySQL may still be starting, so retry like any outage. */
  private void migrateWithRetry() throws InterruptedException {
    Backoff backoff = new Backoff(config.maxBackoffMs());
    while (!stopping) {
      try {
        int n = migrate();
        log.info("schema up to date ({} migration(s) applied)", n);
        return;
      } catch (RuntimeException e) {
        if (!(rootCause(e) instanceof SQLException)) {
          throw e; // a failed validation or a broken script: retrying cannot help
        }
        log.warn("schema migration failed, retrying: {}", rootCause(e).toString());
        Thread.sleep(backoff.next());
      }
    }
  }

  /** With the pool, or, when the schema's owner migrates, with a one-connection pool of its own. */
  private int migrate() {
    if (config.flywayUser().isEmpty()) {
      return SchemaMigrator.migrate(dataSource);
    }
    try (HikariDataSource owner = ArchiveDataSource.create(config.jdbcUrl(), config.migrationUser(),
        config.migrationPassword(), 1, config.jdbcProperties().all())) {
      return SchemaMigrator.migrate(owner);
    }
  }

  private static Throwable rootCause(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }

  static Properties kafkaProperties(io.kvpipe.consumer.ConsumerConfig config) {
    Properties p = new Properties();
    // Kafka answers a fetch as soon as one byte is there by default: at 2,000 events/s that was a fetch, a poll and a
    // durable MySQL commit every ~7 ms for ~15 events each. Waiting up to 20 ms (less once 32 KiB, ~100 events, are
    // there) takes at most that from the archive's 100 ms budget and spares the broker, this process and the database
    // most of those rounds (bench/RESULTS.md, bench-pipeline). The deployment's file may set others.
    p.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, String.valueOf(FETCH_MIN_BYTES));
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, String.valueOf(FETCH_MAX_WAIT_MS));
    p.putAll(config.kafkaProperties().forClient("consumer")); // kvpipe's own settings below win (and are refused there)
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    if (!config.instanceId().isEmpty()) {
      p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, config.instanceId());
    }
    p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, String.valueOf(config.sessionTimeoutMs()));
    p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, String.valueOf(Math.max(500, config.sessionTimeoutMs() / 5)));
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    // Kafka must never move a position by itself: "earliest" would silently skip records retention deleted before
    // they were archived. Positions always come from MySQL (ArchiveLoop, StartPosition).
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(config.maxPollRecords()));
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"); // producers may be transactional (fencing)
    p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, String.valueOf(64 << 20));
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(32 << 20));
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "kvpipe-archive" + (config.instanceId().isEmpty() ? ""
        : "-" + config.instanceId()));
    return p;
  }

  @Override
  public void close() {
    stop();
    try (dataSource; deadLetters; consumer; health) {
      if (metricsServer != null) {
        metricsServer.close();
      }
    }
  }
}
