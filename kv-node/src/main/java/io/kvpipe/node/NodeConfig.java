package io.kvpipe.node;

import io.kvpipe.client.RaftTls;
import io.kvpipe.common.config.ClientProperties;
import io.kvpipe.common.config.CommandLineFlags;
import io.kvpipe.common.Limits;
import io.kvpipe.common.event.EnvelopeOptions;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.node.cdc.CdcConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The kv-node's whole configuration, parsed in one place ({@link #parse}): each setting is a flag whose default comes
 * from an environment variable, else from the defaults below. {@link #describe()} is what the node prints at start.
 *
 * @param nodeId this node's Raft peer id; must appear in every group's peer list
 * @param listenHost host the gRPC server binds to
 * @param listenPort port the gRPC server binds to (one port serves all groups)
 * @param dataDir Raft storage root: one sub-directory per group
 * @param groups the groups this node hosts a replica of, in order
 * @param maxValueBytes cap on a value's size
 * @param snapshotThreshold applied log entries between automatic snapshots (the log is purged up to each snapshot)
 * @param logSegmentBytes size at which a Raft log segment is closed (only closed segments can be purged)
 * @param outboxMaxEvents CDC outbox bound, in events; past it writes are refused with CDC_BACKLOG_FULL
 * @param outboxMaxBytes CDC outbox bound, in bytes
 * @param kafkaBootstrap Kafka bootstrap servers; empty turns CDC off (no outbox is kept)
 * @param topic Kafka topic the change events go to
 * @param cdcPartitions partition count of the topic when the node creates it (never changed afterwards)
 * @param cdcReplicationFactor replication factor of the topic when the node creates it
 * @param cdcLingerMs producer linger: how long a batch of events may wait to fill before it is sent
 * @param cdcConfirmIntervalMs how often a shard leader commits "published up to N" (trimming the outbox)
 * @param metricsPort port of the Prometheus {@code /metrics} endpoint (on the listen host); 0 turns it off
 * @param metaPeers the meta group's replicas, where the node reads the topology it follows (create, join and leave
 *                  shard groups); empty: the node hosts its {@code --group}s only
 * @param reconcileIntervalMs how often the topology version is checked when following it
 * @param raftTls how the node's Ratis port talks: mutual TLS with the cluster's CA, or (asked for explicitly) plaintext
 * @param raftProperties Ratis settings ({@code raft.*} keys) applied over kvpipe's own tuning ({@link RaftTuning}):
 *                       for measuring a knob without a rebuild; kvpipe's choices are the tested ones
 * @param kafkaProperties the deployment's extra Kafka client properties (SASL, SSL, timeouts) from a file
 * @param cdcEnvelope how change events are written: the cluster's name ({@code source.name}, {@code source.db}, schema
 *                    names) and whether they carry Kafka Connect JSON schemas (docs/events.md)
 * @param cdcTombstones whether a Kafka tombstone follows each delete event (for compacted topics)
 */
public record NodeConfig(String nodeId, String listenHost, int listenPort, Path dataDir, List<GroupSpec> groups,
                         int maxValueBytes, long snapshotThreshold, long logSegmentBytes, int outboxMaxEvents,
                         long outboxMaxBytes, String kafkaBootstrap, String topic, int cdcPartitions,
                         short cdcReplicationFactor, long cdcLingerMs, long cdcConfirmIntervalMs, int metricsPort,
                         List<PeerAddress> metaPeers, long reconcileIntervalMs, RaftTls raftTls,
                         Map<String, String> raftProperties, ClientProperties kafkaProperties,
                         EnvelopeOptions cdcEnvelope, boolean cdcTombstones) {

  /** One hosted group: its name and all of its replicas. */
  public record GroupSpec(String name, List<PeerAddress> peers) {
    public GroupSpec {
      GroupIds.checkName(name);
      peers = List.copyOf(peers);
    }

    /** Parses {@code name=id@host:port,id@host:port,...}. */
    public static GroupSpec parse(String text) {
      int eq = text.indexOf('=');
      if (eq < 1) {
        throw new IllegalArgumentException("group '" + text + "' is not of the form name=id@host:port,...");
      }
      return new GroupSpec(text.substring(0, eq).trim(), PeerAddress.parseList(text.substring(eq + 1)));
    }

    @Override
    public String toString() {
      return name + "=" + String.join(",", peers.stream().map(PeerAddress::toString).toList());
    }
  }

  public static final long DEFAULT_SNAPSHOT_THRESHOLD = 20_000;
  public static final long DEFAULT_LOG_SEGMENT_BYTES = 8L << 20;
  public static final int DEFAULT_OUTBOX_MAX_EVENTS = 100_000;
  public static final long DEFAULT_OUTBOX_MAX_BYTES = 256L << 20;
  public static final String DEFAULT_TOPIC = CdcConfig.DEFAULT_TOPIC;
  public static final long DEFAULT_RECONCILE_INTERVAL_MS = 400;

  public NodeConfig {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(raftTls, "raftTls");
    groups = List.copyOf(groups);
    metaPeers = metaPeers == null ? List.of() : List.copyOf(metaPeers);
    raftProperties = raftProperties == null ? Map.of() : java.util.Collections.unmodifiableMap(
        new java.util.TreeMap<>(raftProperties));
    for (String key : raftProperties.keySet()) {
      if (!key.startsWith("raft.")) {
        throw new IllegalArgumentException("--raft-property takes Ratis keys (raft.*), got '" + key + "'");
      }
    }
    if (groups.isEmpty() && metaPeers.isEmpty()) {
      throw new IllegalArgumentException("at least one --group, or --meta-peers, is required");
    }
    if (reconcileIntervalMs < 10 || reconcileIntervalMs > 60_000) {
      throw new IllegalArgumentException("--reconcile-interval-ms must be within 10..60000");
    }
    for (GroupSpec g : groups) {
      if (g.peers().stream().noneMatch(p -> p.id().equals(nodeId))) {
        throw new IllegalArgumentException("group " + g.name() + " does not list this node (" + nodeId + ")");
      }
    }
    if (metricsPort < 0 || metricsPort > 65535) {
      throw new IllegalArgumentException("--metrics-port must be within 0..65535");
    }
    if (snapshotThreshold < 1 || logSegmentBytes < 1024 || outboxMaxEvents < 1 || outboxMaxBytes < 1) {
      throw new IllegalArgumentException("snapshot threshold, segment size and outbox bounds must be positive");
    }
    Limits.checkMaxValueBytes(maxValueBytes);
    Objects.requireNonNull(kafkaBootstrap, "kafkaBootstrap");
    Objects.requireNonNull(cdcEnvelope, "cdcEnvelope");
    // CdcConfig owns the rules of its settings; check them now even with CDC off, so a bad value never waits
    // for the day CDC is turned on.
    cdcConfig(kafkaBootstrap.isBlank() ? "unused:9092" : kafkaBootstrap, topic, cdcPartitions, cdcReplicationFactor,
        cdcLingerMs, cdcConfirmIntervalMs, maxValueBytes, kafkaProperties, cdcEnvelope, cdcTombstones);
  }

  public boolean cdcEnabled() {
    return !kafkaBootstrap.isBlank();
  }

  /** The CDC publisher's settings (meaningful only when {@link #cdcEnabled()}). */
  public CdcConfig cdcConfig() {
    return cdcConfig(kafkaBootstrap, topic, cdcPartitions, cdcReplicationFactor, cdcLingerMs, cdcConfirmIntervalMs,
        maxValueBytes, kafkaProperties, cdcEnvelope, cdcTombstones);
  }

  private static CdcConfig cdcConfig(String bootstrap, String topic, int partitions, short replicationFactor,
                                     long lingerMs, long confirmIntervalMs, int maxValueBytes,
                                     ClientProperties kafkaProperties, EnvelopeOptions envelope,
                                     boolean tombstones) {
    try {
      return CdcConfig.defaults(bootstrap).withEnvelope(envelope, tombstones).with(topic, partitions, replicationFactor, Duration.ofMillis(lingerMs),
          Duration.ofMillis(confirmIntervalMs), maxValueBytes).withClientProperties(kafkaProperties);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("CDC settings: " + e.getMessage(), e);
    }
  }

  /** The meta group's name (the topology); {@code --group meta=...} makes this node one of its replicas. */
  public static final String META_GROUP = "meta";

  /** Whether the node follows the topology in the meta group (creating, joining and leaving shard groups). */
  public boolean followsTopology() {
    return !metaPeers.isEmpty();
  }

  /** Flag names and the environment variables that give their defaults. */
  private static final Map<String, String> FLAGS = new LinkedHashMap<>();

  static {
    FLAGS.put("id", "KVPIPE_NODE_ID");
    FLAGS.put("listen", "KVPIPE_LISTEN");
    FLAGS.put("data-dir", "KVPIPE_DATA_DIR");
    FLAGS.put("group", "KVPIPE_GROUPS");
    FLAGS.put("max-value-bytes", "KVPIPE_MAX_VALUE_BYTES");
    FLAGS.put("snapshot-threshold", "KVPIPE_SNAPSHOT_THRESHOLD");
    FLAGS.put("log-segment-bytes", "KVPIPE_LOG_SEGMENT_BYTES");
    FLAGS.put("outbox-max-events", "KVPIPE_OUTBOX_MAX_EVENTS");
    FLAGS.put("outbox-max-bytes", "KVPIPE_OUTBOX_MAX_BYTES");
    FLAGS.put("kafka-bootstrap", "KVPIPE_KAFKA_BOOTSTRAP");
    FLAGS.put("topic", "KVPIPE_TOPIC");
    FLAGS.put("cdc-partitions", "KVPIPE_CDC_PARTITIONS");
    FLAGS.put("cdc-replication-factor", "KVPIPE_CDC_REPLICATION_FACTOR");
    FLAGS.put("cdc-linger-ms", "KVPIPE_CDC_LINGER_MS");
    FLAGS.put("cdc-confirm-interval-ms", "KVPIPE_CDC_CONFIRM_INTERVAL_MS");
    FLAGS.put("kafka-properties", "KVPIPE_KAFKA_PROPERTIES");
    FLAGS.put("cluster-name", "KVPIPE_CLUSTER_NAME");
    FLAGS.put("cdc-schemas", "KVPIPE_CDC_SCHEMAS");
    FLAGS.put("cdc-tombstones", "KVPIPE_CDC_TOMBSTONES");
    FLAGS.put("metrics-port", "KVPIPE_METRICS_PORT");
    FLAGS.put("meta-peers", "KVPIPE_META_PEERS");
    FLAGS.put("reconcile-interval-ms", "KVPIPE_RECONCILE_INTERVAL_MS");
    FLAGS.put("tls-cert", "KVPIPE_TLS_CERT");
    FLAGS.put("tls-key", "KVPIPE_TLS_KEY");
    FLAGS.put("tls-ca", "KVPIPE_TLS_CA");
    FLAGS.put("insecure-plaintext", "KVPIPE_INSECURE_PLAINTEXT");
    FLAGS.put("raft-property", "KVPIPE_RAFT_PROPERTIES");
  }

  public static String usage() {
    StringBuilder sb = new StringBuilder("kv-node flags (environment variable in brackets):\n");
    FLAGS.forEach((flag, env) -> sb.append("  --").append(flag).append(" [").append(env).append("]\n"));
    sb.append("  --group is repeatable: name=id@host:port,id@host:port,... ; KVPIPE_GROUPS separates groups by ';'\n");
    sb.append("  --meta-peers id@host:port,...: follow the topology (default: the peers of --group meta=..., if any)\n");
    sb.append("  --raft-property is repeatable: raft.key=value over kvpipe's Ratis tuning; KVPIPE_RAFT_PROPERTIES"
        + " separates them by ';'\n");
    return sb.toString();
  }

  /** Parses {@code --flag value} / {@code --flag=value} arguments over environment defaults. */
  public static NodeConfig parse(String[] args, Map<String, String> env) {
    Map<String, List<String>> given = new LinkedHashMap<>();
    for (CommandLineFlags.Flag f : CommandLineFlags.scan(args, FLAGS.keySet(), NodeConfig::usage)) {
      given.computeIfAbsent(f.name(), k -> new ArrayList<>()).add(f.value());
    }
    Lookup in = new Lookup(given, env);

    String id = in.required("id");
    List<GroupSpec> groups = new ArrayList<>();
    List<String> groupTexts = given.containsKey("group") ? given.get("group")
        : in.optional("group").map(s -> List.of(s.split(";"))).orElse(List.of());
    for (String g : groupTexts) {
      if (!g.isBlank()) {
        groups.add(GroupSpec.parse(g.trim()));
      }
    }
    List<PeerAddress> metaPeers = in.optional("meta-peers").map(PeerAddress::parseList)
        .orElseGet(() -> groups.stream().filter(g -> g.name().equals(META_GROUP)).findFirst()
            .map(GroupSpec::peers).orElse(List.of()));
    if (groups.isEmpty() && metaPeers.isEmpty()) {
      throw new IllegalArgumentException("at least one --group (or KVPIPE_GROUPS), or --meta-peers, is required\n"
          + usage());
    }
    String listen = in.optional("listen").orElseGet(() -> ownAddress(id, groups));
    int colon = listen.lastIndexOf(':');
    if (colon < 1) {
      throw new IllegalArgumentException("--listen must be host:port, got '" + listen + "'");
    }
    return new NodeConfig(id, listen.substring(0, colon), in.intValue(listen.substring(colon + 1), "listen"),
        Path.of(in.optional("data-dir").orElse("data/" + id)), groups,
        in.intValue(in.optional("max-value-bytes").orElse(String.valueOf(Limits.DEFAULT_MAX_VALUE_BYTES)),
            "max-value-bytes"),
        in.longValue("snapshot-threshold", DEFAULT_SNAPSHOT_THRESHOLD),
        in.longValue("log-segment-bytes", DEFAULT_LOG_SEGMENT_BYTES),
        (int) in.longValue("outbox-max-events", DEFAULT_OUTBOX_MAX_EVENTS),
        in.longValue("outbox-max-bytes", DEFAULT_OUTBOX_MAX_BYTES),
        in.optional("kafka-bootstrap").orElse("").trim(),
        in.optional("topic").orElse(DEFAULT_TOPIC),
        in.intValue("cdc-partitions", CdcConfig.DEFAULT_PARTITIONS),
        (short) in.intValue("cdc-replication-factor", CdcConfig.DEFAULT_REPLICATION_FACTOR, Short.MAX_VALUE),
        in.longValue("cdc-linger-ms", CdcConfig.DEFAULT_LINGER.toMillis()),
        in.longValue("cdc-confirm-interval-ms", CdcConfig.DEFAULT_CONFIRM_INTERVAL.toMillis()),
        (int) in.longValue("metrics-port", 0), metaPeers,
        in.longValue("reconcile-interval-ms", DEFAULT_RECONCILE_INTERVAL_MS),
        RaftTls.fromSettings(in.optional("tls-cert").orElse(null), in.optional("tls-key").orElse(null),
            in.optional("tls-ca").orElse(null), in.bool("insecure-plaintext")),
        raftProperties(given, in),
        ClientProperties.load(in.optional("kafka-properties").orElse(""), "kafka-properties"),
        new EnvelopeOptions(in.optional("cluster-name").orElse(EnvelopeOptions.DEFAULT_CLUSTER),
            in.bool("cdc-schemas", EnvelopeOptions.DEFAULT_SCHEMAS)),
        in.bool("cdc-tombstones", CdcConfig.DEFAULT_TOMBSTONES));
  }

  private static Map<String, String> raftProperties(Map<String, List<String>> given, Lookup in) {
    List<String> texts = given.containsKey("raft-property") ? given.get("raft-property")
        : in.optional("raft-property").map(s -> List.of(s.split(";"))).orElse(List.of());
    Map<String, String> out = new LinkedHashMap<>();
    for (String t : texts) {
      if (t.isBlank()) {
        continue;
      }
      int eq = t.indexOf('=');
      if (eq < 1) {
        throw new IllegalArgumentException("--raft-property must be key=value, got '" + t + "'");
      }
      out.put(t.substring(0, eq).trim(), t.substring(eq + 1).trim());
    }
    return out;
  }

  /** Without --listen, the node binds where its groups say it lives. */
  private static String ownAddress(String id, List<GroupSpec> groups) {
    return groups.stream().flatMap(g -> g.peers().stream()).filter(p -> p.id().equals(id)).findFirst()
        .map(PeerAddress::address)
        .orElseThrow(() -> new IllegalArgumentException("--listen is not set and no group lists node " + id));
  }

  private record Lookup(Map<String, List<String>> given, Map<String, String> env) {
    java.util.Optional<String> optional(String flag) {
      List<String> values = given.get(flag);
      if (values != null) {
        return java.util.Optional.of(values.getLast());
      }
      String fromEnv = env.get(FLAGS.get(flag));
      return fromEnv == null || fromEnv.isBlank() ? java.util.Optional.empty() : java.util.Optional.of(fromEnv);
    }

    boolean bool(String flag) {
      return bool(flag, false);
    }

    boolean bool(String flag, boolean def) {
      String v = optional(flag).orElse(String.valueOf(def)).trim();
      if (!v.equals("true") && !v.equals("false")) {
        throw new IllegalArgumentException("--" + flag + " must be true or false, got '" + v + "'");
      }
      return v.equals("true");
    }

    String required(String flag) {
      return optional(flag).orElseThrow(() -> new IllegalArgumentException(
          "--" + flag + " (or " + FLAGS.get(flag) + ") is required\n" + usage()));
    }

    long longValue(String flag, long def) {
      String v = optional(flag).orElse(String.valueOf(def));
      try {
        return Long.parseLong(v.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--" + flag + " must be a number, got '" + v + "'", e);
      }
    }

    int intValue(String flag, int def) {
      return intValue(flag, def, Integer.MAX_VALUE);
    }

    /** A number of at most {@code max} (so a narrowing cast cannot wrap around). */
    int intValue(String flag, int def, int max) {
      long v = longValue(flag, def);
      if (v > max || v < Integer.MIN_VALUE) {
        throw new IllegalArgumentException("--" + flag + " must be at most " + max + ", got " + v);
      }
      return (int) v;
    }

    int intValue(String v, String flag) {
      try {
        return Integer.parseInt(v.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--" + flag + " must be a number, got '" + v + "'", e);
      }
    }
  }

  /** The effective configuration, one setting per line, as printed at start (property values are never shown). */
  public String describe() {
    StringBuilder sb = new StringBuilder("kv-node configuration:\n");
    sb.append("  id=").append(nodeId).append('\n');
    sb.append("  listen=").append(listenHost).append(':').append(listenPort).append('\n');
    sb.append("  data-dir=").append(dataDir.toAbsolutePath()).append('\n');
    for (GroupSpec g : groups) {
      sb.append("  group=").append(g).append('\n');
    }
    sb.append("  max-value-bytes=").append(maxValueBytes).append('\n');
    sb.append("  snapshot-threshold=").append(snapshotThreshold).append('\n');
    sb.append("  log-segment-bytes=").append(logSegmentBytes).append('\n');
    sb.append("  outbox-max-events=").append(outboxMaxEvents).append('\n');
    sb.append("  outbox-max-bytes=").append(outboxMaxBytes).append('\n');
    sb.append("  kafka-bootstrap=").append(cdcEnabled() ? kafkaBootstrap : "(none: CDC off)").append('\n');
    sb.append("  topic=").append(topic).append('\n');
    sb.append("  cdc-partitions=").append(cdcPartitions).append('\n');
    sb.append("  cdc-replication-factor=").append(cdcReplicationFactor).append('\n');
    sb.append("  cdc-linger-ms=").append(cdcLingerMs).append('\n');
    sb.append("  cdc-confirm-interval-ms=").append(cdcConfirmIntervalMs).append('\n');
    sb.append("  kafka-properties=").append(kafkaProperties.describe()).append('\n');
    sb.append("  cluster-name=").append(cdcEnvelope.cluster()).append('\n');
    sb.append("  cdc-schemas=").append(cdcEnvelope.schemas()).append('\n');
    sb.append("  cdc-tombstones=").append(cdcTombstones).append('\n');
    if (cdcEnabled()) {
      // Derived, not a flag: the topic's own max.message.bytes (read at start, logged as "CDC limits") may lower it.
      sb.append("  cdc-max-event-bytes=").append(cdcConfig().maxRecordBytes())
          .append(" (for --max-value-bytes; the topic's max.message.bytes may lower it, see the CDC limits line)\n");
    }
    sb.append("  metrics-port=").append(metricsPort == 0 ? "(off)" : String.valueOf(metricsPort)).append('\n');
    sb.append("  meta-peers=").append(metaPeers.isEmpty() ? "(none: hosts its --groups only)"
        : String.join(",", metaPeers.stream().map(PeerAddress::toString).toList())).append('\n');
    sb.append("  reconcile-interval-ms=").append(reconcileIntervalMs).append('\n');
    sb.append("  raft-transport=").append(raftTls);
    raftProperties.forEach((k, v) -> sb.append("\n  raft-property=").append(k).append('=').append(v));
    return sb.toString();
  }
}
