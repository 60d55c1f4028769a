package io.kvpipe.consumer;

import io.kvpipe.common.config.ClientProperties;
import io.kvpipe.common.config.ConfigDef;
import io.kvpipe.common.config.LoadedConfig;
import io.kvpipe.common.config.ParsedConfig;
import io.kvpipe.common.config.Setting;
import io.kvpipe.common.config.SettingType;
import io.kvpipe.common.config.Validator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The consumer's whole configuration, parsed in one place ({@link #load}) from the settings in {@link #DEFINITION}: a
 * flag, else its environment variable, else the {@code --config} file, else the default ({@link ConfigDef}).
 *
 * @param instanceId Kafka static group membership id (empty = dynamic): a restarted instance with the same id takes
 *     its partitions back at once, without waiting for a session timeout
 * @param changelogLoad whether the writer loads kv_changelog with LOAD DATA LOCAL INFILE (from a private directory,
 *     falling back to INSERTs for good if the server refuses it) instead of multi-row INSERTs ({@link ChangelogLoad})
 * @param metricsPort port of the Prometheus endpoint {@code /metrics} (and {@code /ready}); 0 disables it
 * @param flywayUser the account Flyway migrates with (empty: {@code jdbcUser}); the archive's writer account needs no
 *     DDL rights when the schema's owner migrates (docs/security.md)
 * @param kafkaProperties the deployment's extra Kafka client properties (SASL, SSL, timeouts) for the consumer, the
 *     dead-letter producer and the admin client; keys the exactly-once archive rests on are refused
 * @param jdbcProperties the deployment's extra MySQL driver properties (sslMode, trust store, timeouts) for the pool
 *     and Flyway
 * @param kafkaCommitIntervalMs how often the archived offsets are committed to Kafka too (for lag tools only: MySQL's
 *     stored offsets are the truth); 0 commits after every transaction
 * @param resetOffsets the operator's explicit resume offsets, by partition of {@code topic}: applied only to a
 *     partition whose stored offset Kafka no longer holds, and only to an offset Kafka holds ({@link StartPosition})
 */
public record ConsumerConfig(
    String bootstrapServers,
    String topic,
    String groupId,
    String instanceId,
    int sessionTimeoutMs,
    String jdbcUrl,
    String jdbcUser,
    String jdbcPassword,
    int poolSize,
    long pollTimeoutMs,
    int maxPollRecords,
    int statementRows,
    int writerThreads,
    boolean changelogLoad,
    boolean flyway,
    String flywayUser,
    String flywayPassword,
    String dlqTopic,
    int metricsPort,
    long maxBackoffMs,
    long kafkaCommitIntervalMs,
    ClientProperties kafkaProperties,
    ClientProperties jdbcProperties,
    Map<Integer, Long> resetOffsets) {

  /** Consumer settings the exactly-once archive rests on (offsets live in MySQL; never skip, never auto-commit). */
  static final Set<String> CONSUMER_KEYS = Set.of("bootstrap.servers", "group.id", "group.instance.id",
      "enable.auto.commit", "auto.offset.reset", "isolation.level", "key.deserializer", "value.deserializer");
  /** Dead-letter producer settings: every dead letter is acknowledged by all replicas. */
  static final Set<String> PRODUCER_KEYS = Set.of("bootstrap.servers", "acks", "enable.idempotence",
      "key.serializer", "value.serializer", "transactional.id");
  /** Driver properties given by flags of their own. */
  static final Set<String> JDBC_KEYS = Set.of("user", "password");

  /** Every consumer setting, defined once: the parser, {@code --help} and docs/configuration.md follow it. */
  public static final ConfigDef DEFINITION = new ConfigDef("cdc-consumer", List.of(
      Setting.string("kafka-bootstrap", "KVPIPE_KAFKA_BOOTSTRAP", "127.0.0.1:9092", "Kafka bootstrap servers")
          .deprecatedFlag("bootstrap-servers").validate(Validator.nonEmpty()),
      Setting.string("topic", "KVPIPE_TOPIC", "kv.changes", "topic of change events"),
      Setting.string("group-id", "KVPIPE_CONSUMER_GROUP", "kvpipe-archive", "Kafka consumer group (scale by instances)"),
      Setting.string("instance-id", "KVPIPE_INSTANCE_ID", "", "static group membership id, unique per instance"),
      Setting.integer("session-timeout-ms", "KVPIPE_SESSION_TIMEOUT_MS", 45000, "Kafka group session timeout")
          .validate(Validator.atLeast(1000)),
      Setting.string("jdbc-url", "KVPIPE_JDBC_URL", "jdbc:mysql://127.0.0.1:3306/kvpipe", "MySQL/MariaDB database"),
      // No default: a default of root ran the archive with every privilege unless someone noticed (docs/security.md).
      Setting.required("jdbc-user", "KVPIPE_JDBC_USER", SettingType.STRING,
          "database user: the archive's writer account (SELECT, INSERT, UPDATE)"),
      Setting.string("jdbc-password", "KVPIPE_JDBC_PASSWORD", "", "database password").asSecret(),
      Setting.integer("pool-size", "KVPIPE_POOL_SIZE", 3, "HikariCP pool size").validate(Validator.range(1, 100)),
      Setting.longValue("poll-timeout-ms", "KVPIPE_POLL_TIMEOUT_MS", 500, "longest wait of one Kafka poll")
          .validate(Validator.atLeast(1)),
      Setting.integer("max-poll-records", "KVPIPE_MAX_POLL_RECORDS", 5000, "events per poll = per MySQL transaction")
          .validate(Validator.range(1, 100_000)),
      // A server-side prepared statement takes at most 65535 placeholders; a changelog row has 11.
      Setting.integer("statement-rows", "KVPIPE_STATEMENT_ROWS", 1000, "rows per multi-row INSERT statement")
          .validate(Validator.range(1, 5_000)),
      Setting.integer("writer-threads", "KVPIPE_WRITER_THREADS", 2,
          "transactions in flight at once, across polls, each for a share of a poll's partitions; those of one partition"
              + " run in turn (1 = one per poll)")
          .validate(Validator.range(1, 32)),
      // Off by default: on the shared 2-core box its gain end to end was mixed, from none to a fifth (issue 15).
      Setting.bool("changelog-load", "KVPIPE_CHANGELOG_LOAD", false,
          "load the changelog with LOAD DATA LOCAL INFILE where the server allows it, else INSERT"),
      Setting.bool("flyway", "KVPIPE_FLYWAY", true, "migrate the schema at start"),
      Setting.string("flyway-user", "KVPIPE_FLYWAY_USER", "",
          "account that migrates the schema (empty: jdbc-user); the schema owner, so jdbc-user needs no DDL"),
      Setting.string("flyway-password", "KVPIPE_FLYWAY_PASSWORD", "", "its password").asSecret(),
      Setting.string("dlq-topic", "KVPIPE_DLQ_TOPIC", "kv.changes.dlq", "dead-letter topic for malformed events"),
      Setting.integer("metrics-port", "KVPIPE_METRICS_PORT", 9404, "Prometheus /metrics port (0 = off)")
          .validate(Validator.range(0, 65535)),
      Setting.longValue("max-backoff-ms", "KVPIPE_MAX_BACKOFF_MS", 5000, "longest retry pause when MySQL/Kafka is down")
          .validate(Validator.atLeast(10)),
      // Each commit is a request to the broker's group coordinator and a write to __consumer_offsets: once per
      // transaction it was the broker's most frequent request in bench-pipeline (KafkaOffsetCommits).
      Setting.longValue("kafka-commit-interval-ms", "KVPIPE_KAFKA_COMMIT_INTERVAL_MS", 1000,
          "how often archived offsets are committed to Kafka for lag tools (0 = after every transaction)")
          .validate(Validator.range(0, 3_600_000)),
      Setting.string("kafka-properties", "KVPIPE_KAFKA_PROPERTIES", "",
          "file of extra Kafka client properties (SASL, SSL, timeouts; consumer./producer./admin. prefixes)"),
      Setting.string("jdbc-properties", "KVPIPE_JDBC_PROPERTIES", "",
          "file of extra MySQL driver properties (sslMode, trust store, timeouts)"),
      Setting.string("reset-offsets", "KVPIPE_RESET_OFFSETS", "",
          "partition=offset,...: where a stopped partition (stored offset no longer in Kafka) resumes")),
      null);

  public ConsumerConfig {
    require(!bootstrapServers.isBlank(), "kafka-bootstrap must not be empty");
    require(!topic.isBlank() && !dlqTopic.isBlank(), "topic and dlq-topic must not be empty");
    require(!topic.equals(dlqTopic), "dlq-topic must differ from topic");
    require(!groupId.isBlank(), "group-id must not be empty");
    require(jdbcUrl.startsWith("jdbc:mysql:") || jdbcUrl.startsWith("jdbc:mariadb:"),
        "jdbc-url must be a jdbc:mysql: URL, got " + jdbcUrl);
    require(sessionTimeoutMs >= 1000, "session-timeout-ms must be at least 1000");
    require(poolSize >= 1 && poolSize <= 100, "pool-size must be 1..100");
    require(pollTimeoutMs >= 1, "poll-timeout-ms must be positive");
    require(maxPollRecords >= 1 && maxPollRecords <= 100_000, "max-poll-records must be 1..100000");
    // A server-side prepared statement takes at most 65535 placeholders; a changelog row has 11.
    require(statementRows >= 1 && statementRows <= 5_000, "statement-rows must be 1..5000");
    require(writerThreads >= 1 && writerThreads <= 32, "writer-threads must be 1..32");
    require(poolSize > writerThreads, "pool-size must exceed writer-threads (offset reads need a connection too)");
    require(metricsPort >= 0 && metricsPort <= 65535, "metrics-port must be 0..65535");
    require(maxBackoffMs >= 10, "max-backoff-ms must be at least 10");
    require(kafkaCommitIntervalMs >= 0, "kafka-commit-interval-ms must not be negative");
    kafkaProperties.refuse("consumer", CONSUMER_KEYS, "the exactly-once archive rests on them")
        .refuse("producer", PRODUCER_KEYS, "dead letters must reach every replica")
        .refuse("admin", Set.of("bootstrap.servers"), "set it with --kafka-bootstrap");
    jdbcProperties.refuse(null, JDBC_KEYS, "use --jdbc-user and --jdbc-password");
    resetOffsets = Map.copyOf(resetOffsets);
  }

  /** Parses flags, environment, a {@code --config} file and defaults; a clear {@link IllegalArgumentException}. */
  public static ConsumerConfig parse(String[] args, Map<String, String> env) {
    return load(args, env).config();
  }

  /** {@link #parse}, keeping the merged settings for printing at start. */
  public static LoadedConfig<ConsumerConfig> load(String[] args, Map<String, String> env) {
    ParsedConfig v = DEFINITION.parse(args, env);
    ConsumerConfig config = new ConsumerConfig(v.string("kafka-bootstrap"), v.string("topic"), v.string("group-id"),
        v.string("instance-id"), v.integer("session-timeout-ms"), v.string("jdbc-url"),
        v.required("jdbc-user"), v.string("jdbc-password"), v.integer("pool-size"),
        v.longValue("poll-timeout-ms"), v.integer("max-poll-records"), v.integer("statement-rows"),
        v.integer("writer-threads"), v.bool("changelog-load"), v.bool("flyway"), v.string("flyway-user"),
        v.string("flyway-password"), v.string("dlq-topic"), v.integer("metrics-port"), v.longValue("max-backoff-ms"),
        v.longValue("kafka-commit-interval-ms"),
        ClientProperties.load(v.string("kafka-properties"), "kafka-properties"),
        ClientProperties.load(v.string("jdbc-properties"), "jdbc-properties"),
        resetOffsets(v.string("reset-offsets")));
    return new LoadedConfig<>(config, v);
  }

  /** Parses {@code partition=offset,...} (empty: none). */
  static Map<Integer, Long> resetOffsets(String text) {
    Map<Integer, Long> out = new TreeMap<>();
    for (String part : text.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      String[] kv = part.trim().split("=", -1);
      try {
        if (kv.length != 2) {
          throw new NumberFormatException();
        }
        int partition = Integer.parseInt(kv[0].trim());
        long offset = Long.parseLong(kv[1].trim());
        require(partition >= 0 && offset >= 0, "--reset-offsets: partition and offset must not be negative: " + part);
        require(out.put(partition, offset) == null, "--reset-offsets names partition " + partition + " twice");
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--reset-offsets must be partition=offset,..., got '" + part.trim() + "'");
      }
    }
    return out;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  public static String usage() {
    return DEFINITION.help();
  }

  /** The effective configuration, one setting per line, password masked (also inside the JDBC URL). */
  public String describe() {
    List<String> lines = new ArrayList<>();
    lines.add("kafka-bootstrap=" + bootstrapServers);
    lines.add("topic=" + topic);
    lines.add("group-id=" + groupId);
    lines.add("instance-id=" + (instanceId.isEmpty() ? "(dynamic membership)" : instanceId));
    lines.add("session-timeout-ms=" + sessionTimeoutMs);
    lines.add("jdbc-url=" + jdbcUrl.replaceAll("(?i)(password=)[^&;]*", "$1****"));
    lines.add("jdbc-user=" + jdbcUser);
    lines.add("jdbc-password=" + (jdbcPassword.isEmpty() ? "(empty)" : "****"));
    lines.add("pool-size=" + poolSize);
    lines.add("poll-timeout-ms=" + pollTimeoutMs);
    lines.add("max-poll-records=" + maxPollRecords);
    lines.add("statement-rows=" + statementRows);
    lines.add("writer-threads=" + writerThreads);
    lines.add("changelog-load=" + changelogLoad);
    lines.add("flyway=" + flyway);
    lines.add("flyway-user=" + (flywayUser.isEmpty() ? "(jdbc-user)" : flywayUser));
    lines.add("flyway-password=" + (flywayPassword.isEmpty() ? "(empty)" : "****"));
    lines.add("dlq-topic=" + dlqTopic);
    lines.add("metrics-port=" + metricsPort);
    lines.add("max-backoff-ms=" + maxBackoffMs);
    lines.add("kafka-commit-interval-ms=" + kafkaCommitIntervalMs);
    lines.add("kafka-properties=" + kafkaProperties.describe());
    lines.add("jdbc-properties=" + jdbcProperties.describe());
    lines.add("reset-offsets=" + (resetOffsets.isEmpty() ? "(none)" : new TreeMap<>(resetOffsets).toString()
        .replaceAll("[{} ]", "")));
    return String.join("\n", lines);
  }

  /** The account Flyway uses: {@code flywayUser}, or the pool's own when none is set. */
  public String migrationUser() {
    return flywayUser.isEmpty() ? jdbcUser : flywayUser;
  }

  public String migrationPassword() {
    return flywayUser.isEmpty() ? jdbcPassword : flywayPassword;
  }

  @Override
  public String toString() {
    return "ConsumerConfig[" + describe().replace('\n', ' ') + "]";
  }
}
