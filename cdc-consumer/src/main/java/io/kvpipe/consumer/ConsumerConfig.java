package io.kvpipe.consumer;

import io.kvpipe.common.config.ClientProperties;
import io.kvpipe.common.config.CommandLineFlags;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The consumer's whole configuration, parsed in one place: each setting is a flag {@code --name value} (or
 * {@code --name=value}) whose default comes from an environment variable, else from {@link #SETTINGS}.
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

  /** A setting: flag name (without --), environment variable, default. */
  record Setting(String flag, String env, String defaultValue, String help) {}

  static final List<Setting> SETTINGS = List.of(
      new Setting("bootstrap-servers", "KVPIPE_KAFKA_BOOTSTRAP", "127.0.0.1:9092", "Kafka bootstrap servers"),
      new Setting("topic", "KVPIPE_TOPIC", "kv.changes", "topic of change events"),
      new Setting("group-id", "KVPIPE_CONSUMER_GROUP", "kvpipe-archive", "Kafka consumer group (scale by instances)"),
      new Setting("instance-id", "KVPIPE_INSTANCE_ID", "", "static group membership id, unique per instance"),
      new Setting("session-timeout-ms", "KVPIPE_SESSION_TIMEOUT_MS", "45000", "Kafka group session timeout"),
      new Setting("jdbc-url", "KVPIPE_JDBC_URL", "jdbc:mysql://127.0.0.1:3306/kvpipe", "MySQL/MariaDB database"),
      new Setting("jdbc-user", "KVPIPE_JDBC_USER", "root", "database user"),
      new Setting("jdbc-password", "KVPIPE_JDBC_PASSWORD", "", "database password (never printed)"),
      new Setting("pool-size", "KVPIPE_POOL_SIZE", "3", "HikariCP pool size"),
      new Setting("poll-timeout-ms", "KVPIPE_POLL_TIMEOUT_MS", "500", "longest wait of one Kafka poll"),
      new Setting("max-poll-records", "KVPIPE_MAX_POLL_RECORDS", "5000", "events per poll = per MySQL transaction"),
      new Setting("statement-rows", "KVPIPE_STATEMENT_ROWS", "1000", "rows per multi-row INSERT statement"),
      new Setting("writer-threads", "KVPIPE_WRITER_THREADS", "2",
          "concurrent transactions per poll, each for a share of its partitions (1 = one per poll)"),
      // Off by default: on the shared 2-core box its gain end to end was mixed, from none to a fifth (issue 15).
      new Setting("changelog-load", "KVPIPE_CHANGELOG_LOAD", "false",
          "load the changelog with LOAD DATA LOCAL INFILE where the server allows it, else INSERT (true/false)"),
      new Setting("flyway", "KVPIPE_FLYWAY", "true", "migrate the schema at start (true/false)"),
      new Setting("flyway-user", "KVPIPE_FLYWAY_USER", "",
          "account that migrates the schema (empty: jdbc-user); the schema owner, so jdbc-user needs no DDL"),
      new Setting("flyway-password", "KVPIPE_FLYWAY_PASSWORD", "", "its password (never printed)"),
      new Setting("dlq-topic", "KVPIPE_DLQ_TOPIC", "kv.changes.dlq", "dead-letter topic for malformed events"),
      new Setting("metrics-port", "KVPIPE_METRICS_PORT", "9404", "Prometheus /metrics port (0 = off)"),
      new Setting("max-backoff-ms", "KVPIPE_MAX_BACKOFF_MS", "5000", "longest retry pause when MySQL/Kafka is down"),
      new Setting("kafka-properties", "KVPIPE_KAFKA_PROPERTIES", "",
          "file of extra Kafka client properties (SASL, SSL, timeouts; consumer./producer./admin. prefixes)"),
      new Setting("jdbc-properties", "KVPIPE_JDBC_PROPERTIES", "",
          "file of extra MySQL driver properties (sslMode, trust store, timeouts)"),
      new Setting("reset-offsets", "KVPIPE_RESET_OFFSETS", "",
          "partition=offset,...: where a stopped partition (stored offset no longer in Kafka) resumes"));

  public ConsumerConfig {
    require(!bootstrapServers.isBlank(), "bootstrap-servers must not be empty");
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
    kafkaProperties.refuse("consumer", CONSUMER_KEYS, "the exactly-once archive rests on them")
        .refuse("producer", PRODUCER_KEYS, "dead letters must reach every replica")
        .refuse("admin", Set.of("bootstrap.servers"), "set it with --bootstrap-servers");
    jdbcProperties.refuse(null, JDBC_KEYS, "use --jdbc-user and --jdbc-password");
    resetOffsets = Map.copyOf(resetOffsets);
  }

  /** Parses flags over environment defaults. Throws {@link IllegalArgumentException} with a clear message. */
  public static ConsumerConfig parse(String[] args, Map<String, String> env) {
    Map<String, String> v = new LinkedHashMap<>();
    for (Setting s : SETTINGS) {
      v.put(s.flag(), env.getOrDefault(s.env(), s.defaultValue()));
    }
    for (CommandLineFlags.Flag f : CommandLineFlags.scan(args, Set.copyOf(v.keySet()), ConsumerConfig::usage)) {
      v.put(f.name(), f.value());
    }
    return new ConsumerConfig(v.get("bootstrap-servers"), v.get("topic"), v.get("group-id"), v.get("instance-id").trim(),
        num(v, "session-timeout-ms", Integer::parseInt), v.get("jdbc-url"),
        v.get("jdbc-user"), v.get("jdbc-password"), num(v, "pool-size", Integer::parseInt),
        num(v, "poll-timeout-ms", Long::parseLong), num(v, "max-poll-records", Integer::parseInt),
        num(v, "statement-rows", Integer::parseInt),
        num(v, "writer-threads", Integer::parseInt), bool(v, "changelog-load"), bool(v, "flyway"), v.get("flyway-user").trim(),
        v.get("flyway-password"), v.get("dlq-topic"),
        num(v, "metrics-port", Integer::parseInt), num(v, "max-backoff-ms", Long::parseLong),
        ClientProperties.load(v.get("kafka-properties"), "kafka-properties"),
        ClientProperties.load(v.get("jdbc-properties"), "jdbc-properties"),
        resetOffsets(v.get("reset-offsets")));
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

  private static <T> T num(Map<String, String> v, String name, Function<String, T> parser) {
    try {
      return parser.apply(v.get(name).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be a number, got '" + v.get(name) + "'");
    }
  }

  private static boolean bool(Map<String, String> v, String name) {
    String s = v.get(name).trim();
    if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(s);
    }
    throw new IllegalArgumentException("--" + name + " must be true or false, got '" + s + "'");
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  public static String usage() {
    StringBuilder b = new StringBuilder("usage: cdc-consumer [--flag value]...\n");
    for (Setting s : SETTINGS) {
      b.append(String.format("  --%-18s %-24s default %-36s %s%n", s.flag(), "($" + s.env() + ")",
          s.defaultValue().isEmpty() ? "''" : s.defaultValue(), s.help()));
    }
    return b.toString();
  }

  /** The effective configuration, one setting per line, password masked (also inside the JDBC URL). */
  public String describe() {
    List<String> lines = new ArrayList<>();
    lines.add("bootstrap-servers=" + bootstrapServers);
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
