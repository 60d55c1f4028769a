package io.kvpipe.node;

import io.kvpipe.client.RaftTls;
import io.kvpipe.common.config.ClientProperties;
import io.kvpipe.common.config.ConfigDef;
import io.kvpipe.common.config.LoadedConfig;
import io.kvpipe.common.config.ParsedConfig;
import io.kvpipe.common.config.Setting;
import io.kvpipe.common.config.SettingType;
import io.kvpipe.common.config.Validator;
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
 * The kv-node's whole configuration, parsed in one place ({@link #load}) from the settings in {@link #DEFINITION}: a
 * flag, else its environment variable, else the {@code --config} file, else the default ({@link ConfigDef}).
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
 * @param metricsPort port of {@code /health}, {@code /ready} and Prometheus {@code /metrics} (on the listen host); by
 *                    default the Raft port + 100; 0 turns it off
 * @param metaPeers the meta group's replicas, where the node reads the topology it follows (create, join and leave
 *                  shard groups); empty: the node hosts its {@code --group}s only
 * @param reconcileIntervalMs how often the topology version is checked when following it
 * @param replicaAddTimeoutMs how long the topology follower waits for Ratis to add a replica before it goes on with
 *                            other changes (the add goes on, and is finished by a later round)
 * @param raftTls how the node's Ratis port talks: mutual TLS with the cluster's CA, or (asked for explicitly) plaintext
 * @param raftProperties Ratis settings ({@code raft.*} keys) applied over kvpipe's own tuning ({@link RaftTuning}):
 *                       for measuring a knob without a rebuild; kvpipe's choices are the tested ones
 * @param raftInlineCalls whether the Raft server handles AppendEntries and client requests on gRPC's transport
 *                        threads ({@code InlineRaftCalls}) rather than handing each message to gRPC's executor
 * @param kafkaProperties the deployment's extra Kafka client properties (SASL, SSL, timeouts) from a file
 * @param cdcEnvelope how change events are written: the cluster's name ({@code source.name}, {@code source.db}, schema
 *                    names) and whether they carry Kafka Connect JSON schemas (docs/events.md)
 * @param cdcTombstones whether a Kafka tombstone follows each delete event (for compacted topics)
 */
public record NodeConfig(String nodeId, String listenHost, int listenPort, Path dataDir, List<GroupSpec> groups,
                         int maxValueBytes, long snapshotThreshold, long logSegmentBytes, int outboxMaxEvents,
                         long outboxMaxBytes, String kafkaBootstrap, String topic, int cdcPartitions,
                         short cdcReplicationFactor, long cdcLingerMs, long cdcConfirmIntervalMs, int metricsPort,
                         List<PeerAddress> metaPeers, long reconcileIntervalMs, long replicaAddTimeoutMs,
                         RaftTls raftTls,
                         Map<String, String> raftProperties, boolean raftInlineCalls,
                         ClientProperties kafkaProperties, EnvelopeOptions cdcEnvelope, boolean cdcTombstones) {

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
  public static final long DEFAULT_LOG_SEGMENT_BYTES = 2L << 20;
  public static final int DEFAULT_OUTBOX_MAX_EVENTS = 100_000;
  public static final long DEFAULT_OUTBOX_MAX_BYTES = 256L << 20;
  public static final String DEFAULT_TOPIC = CdcConfig.DEFAULT_TOPIC;
  public static final long DEFAULT_RECONCILE_INTERVAL_MS = 400;
  /** As long as a removal is given (KvNode): a healthy add takes well under a second. */
  public static final long DEFAULT_REPLICA_ADD_TIMEOUT_MS = 30_000;

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
    if (replicaAddTimeoutMs < 100 || replicaAddTimeoutMs > 600_000) {
      throw new IllegalArgumentException("--replica-add-timeout-ms must be within 100..600000");
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

  /** Every kv-node setting, defined once: the parser, {@code --help} and docs/configuration.md's table follow it. */
  public static final ConfigDef DEFINITION = new ConfigDef("kv-node", List.of(
      Setting.required("id", "KVPIPE_NODE_ID", SettingType.STRING, "this node's Raft peer id"),
      Setting.string("listen", "KVPIPE_LISTEN", null, "host:port of the gRPC server (one port serves every group)")
          .shownAs("this node's address in its groups"),
      Setting.string("data-dir", "KVPIPE_DATA_DIR", null, "Raft storage root, one sub-directory per group")
          .shownAs("data/<id>"),
      Setting.string("group", "KVPIPE_GROUPS", null, "name=id@host:port,... : a group this node hosts a replica of")
          .shownAs("(required unless --meta-peers)").repeatable(";"),
      Setting.integer("max-value-bytes", "KVPIPE_MAX_VALUE_BYTES", Limits.DEFAULT_MAX_VALUE_BYTES,
          "largest value (hard cap 16 MiB)"),
      Setting.longValue("snapshot-threshold", "KVPIPE_SNAPSHOT_THRESHOLD", DEFAULT_SNAPSHOT_THRESHOLD,
          "applied log entries between snapshots").validate(Validator.atLeast(1)),
      Setting.longValue("log-segment-bytes", "KVPIPE_LOG_SEGMENT_BYTES", DEFAULT_LOG_SEGMENT_BYTES,
          "Raft log segment size").validate(Validator.atLeast(1024)),
      Setting.integer("outbox-max-events", "KVPIPE_OUTBOX_MAX_EVENTS", DEFAULT_OUTBOX_MAX_EVENTS,
          "CDC outbox bound in events").validate(Validator.atLeast(1)),
      Setting.longValue("outbox-max-bytes", "KVPIPE_OUTBOX_MAX_BYTES", DEFAULT_OUTBOX_MAX_BYTES,
          "CDC outbox bound in bytes").validate(Validator.atLeast(1)),
      Setting.string("kafka-bootstrap", "KVPIPE_KAFKA_BOOTSTRAP", "", "Kafka bootstrap servers (none: CDC off)")
          .shownAs("(none: CDC off)").deprecatedFlag("bootstrap-servers"),
      Setting.string("topic", "KVPIPE_TOPIC", DEFAULT_TOPIC, "change-event topic"),
      Setting.integer("cdc-partitions", "KVPIPE_CDC_PARTITIONS", CdcConfig.DEFAULT_PARTITIONS,
          "partitions of the topic when the node creates it"),
      Setting.integer("cdc-replication-factor", "KVPIPE_CDC_REPLICATION_FACTOR", CdcConfig.DEFAULT_REPLICATION_FACTOR,
          "replication factor of the topic when the node creates it").validate(Validator.atMost(Short.MAX_VALUE)),
      Setting.longValue("cdc-linger-ms", "KVPIPE_CDC_LINGER_MS", CdcConfig.DEFAULT_LINGER.toMillis(),
          "producer batching wait, 0..1000"),
      Setting.longValue("cdc-confirm-interval-ms", "KVPIPE_CDC_CONFIRM_INTERVAL_MS",
          CdcConfig.DEFAULT_CONFIRM_INTERVAL.toMillis(), "how often \"published up to N\" is committed through Raft"),
      Setting.string("kafka-properties", "KVPIPE_KAFKA_PROPERTIES", "",
          "file of extra Kafka client properties (producer./admin. prefixes)"),
      Setting.string("cluster-name", "KVPIPE_CLUSTER_NAME", EnvelopeOptions.DEFAULT_CLUSTER,
          "the cluster's name in change events"),
      Setting.bool("cdc-schemas", "KVPIPE_CDC_SCHEMAS", EnvelopeOptions.DEFAULT_SCHEMAS,
          "change events carry Kafka Connect JSON schemas"),
      Setting.bool("cdc-tombstones", "KVPIPE_CDC_TOMBSTONES", CdcConfig.DEFAULT_TOMBSTONES,
          "a Kafka tombstone follows each delete event"),
      // Not off by default: the port serves /health and /ready too, which compose's and dev-stack's waits use.
      Setting.of("metrics-port", "KVPIPE_METRICS_PORT", SettingType.INT, "",
          "HTTP port of /health, /ready and Prometheus /metrics (0: off)")
          .shownAs("Raft port + 100").validate(Validator.range(0, 65535)),
      Setting.string("meta-peers", "KVPIPE_META_PEERS", null, "replicas of the meta group, id@host:port,...")
          .shownAs("the peers of --group meta=..., if given"),
      Setting.longValue("reconcile-interval-ms", "KVPIPE_RECONCILE_INTERVAL_MS", DEFAULT_RECONCILE_INTERVAL_MS,
          "how often the topology's version is checked when following it").validate(Validator.range(10, 60_000)),
      Setting.longValue("replica-add-timeout-ms", "KVPIPE_REPLICA_ADD_TIMEOUT_MS", DEFAULT_REPLICA_ADD_TIMEOUT_MS,
          "how long the topology follower waits for Ratis to add a replica before going on (the add goes on)")
          .validate(Validator.range(100, 600_000)),
      Setting.string("tls-cert", "KVPIPE_TLS_CERT", null, "PEM certificate for mutual TLS on the Ratis port")
          .shownAs("(required unless plaintext)"),
      Setting.string("tls-key", "KVPIPE_TLS_KEY", null, "its PEM (PKCS#8) private key")
          .shownAs("(required unless plaintext)"),
      Setting.string("tls-ca", "KVPIPE_TLS_CA", null, "PEM certificate of the cluster's CA")
          .shownAs("(required unless plaintext)"),
      Setting.bool("insecure-plaintext", "KVPIPE_INSECURE_PLAINTEXT", false, "no TLS on the Ratis port"),
      Setting.bool("raft-inline-calls", "KVPIPE_RAFT_INLINE_CALLS", true,
          "handle AppendEntries and client requests on gRPC's transport threads (false: Ratis's executor hand-off)"),
      Setting.string("raft-property", "KVPIPE_RAFT_PROPERTIES", null,
          "raft.key=value over kvpipe's Ratis tuning").repeatable(";")),
      """
      --group name=id@host:port,id@host:port,... ; KVPIPE_GROUPS separates groups by ';'
      --meta-peers id@host:port,...: follow the topology (default: the peers of --group meta=..., if any)
      --raft-property raft.key=value, repeatable; KVPIPE_RAFT_PROPERTIES separates them by ';'
      """);

  public static String usage() {
    return DEFINITION.help();
  }

  /** Parses flags, environment, a {@code --config} file and defaults into the node's configuration. */
  public static NodeConfig parse(String[] args, Map<String, String> env) {
    return load(args, env).config();
  }

  /** {@link #parse}, keeping the merged settings for printing at start. */
  public static LoadedConfig<NodeConfig> load(String[] args, Map<String, String> env) {
    ParsedConfig in = DEFINITION.parse(args, env);
    String id = in.required("id");
    List<GroupSpec> groups = new ArrayList<>();
    for (String g : in.list("group")) {
      groups.add(GroupSpec.parse(g.trim()));
    }
    List<PeerAddress> metaPeers = in.optional("meta-peers").map(PeerAddress::parseList)
        .orElseGet(() -> groups.stream().filter(g -> g.name().equals(META_GROUP)).findFirst()
            .map(GroupSpec::peers).orElse(List.of()));
    if (groups.isEmpty() && metaPeers.isEmpty()) {
      throw new IllegalArgumentException("at least one --group (or KVPIPE_GROUPS), or --meta-peers, is required"
          + " (kv-node --help lists every setting)");
    }
    String listen = in.optional("listen").orElseGet(() -> ownAddress(id, groups));
    int colon = listen.lastIndexOf(':');
    if (colon < 1) {
      throw new IllegalArgumentException("--listen must be host:port, got '" + listen + "'");
    }
    int listenPort = port(listen.substring(colon + 1));
    int metricsPort = in.optionalInteger("metrics-port").orElse(defaultMetricsPort(listenPort));
    NodeConfig config = new NodeConfig(id, listen.substring(0, colon), listenPort,
        Path.of(in.optional("data-dir").orElse("data/" + id)), groups,
        in.integer("max-value-bytes"),
        in.longValue("snapshot-threshold"),
        in.longValue("log-segment-bytes"),
        in.integer("outbox-max-events"),
        in.longValue("outbox-max-bytes"),
        in.string("kafka-bootstrap"),
        in.string("topic"),
        in.integer("cdc-partitions"),
        (short) in.integer("cdc-replication-factor"),
        in.longValue("cdc-linger-ms"),
        in.longValue("cdc-confirm-interval-ms"),
        metricsPort, metaPeers,
        in.longValue("reconcile-interval-ms"),
        in.longValue("replica-add-timeout-ms"),
        RaftTls.fromSettings(in.optional("tls-cert").orElse(null), in.optional("tls-key").orElse(null),
            in.optional("tls-ca").orElse(null), in.bool("insecure-plaintext")),
        raftProperties(in.list("raft-property")),
        in.bool("raft-inline-calls"),
        ClientProperties.load(in.string("kafka-properties"), "kafka-properties"),
        new EnvelopeOptions(in.string("cluster-name"), in.bool("cdc-schemas")),
        in.bool("cdc-tombstones"));
    return new LoadedConfig<>(config, in);
  }

  /** Offset of the default HTTP (health, readiness, metrics) port from the Raft port: 7001 → 7101, 7000 → 7100. */
  public static final int METRICS_PORT_OFFSET = 100;

  /** The Raft port + {@link #METRICS_PORT_OFFSET}; none (off) when the Raft port is 0 (an ephemeral one). */
  static int defaultMetricsPort(int listenPort) {
    if (listenPort == 0) {
      return 0;
    }
    if (listenPort + METRICS_PORT_OFFSET > 65535) {
      throw new IllegalArgumentException("--metrics-port: the default (Raft port " + listenPort + " + "
          + METRICS_PORT_OFFSET + ") is no port; give --metrics-port (0: off)");
    }
    return listenPort + METRICS_PORT_OFFSET;
  }

  private static int port(String text) {
    try {
      return Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--listen must be host:port, got port '" + text + "'", e);
    }
  }

  private static Map<String, String> raftProperties(List<String> texts) {
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

  /** How the Ratis port talks (mutual TLS or plaintext), for the start-up listing. */
  public String raftTransportDescription() {
    return raftTls.toString();
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
    sb.append("  replica-add-timeout-ms=").append(replicaAddTimeoutMs).append('\n');
    sb.append("  raft-transport=").append(raftTls).append('\n');
    sb.append("  raft-inline-calls=").append(raftInlineCalls);
    raftProperties.forEach((k, v) -> sb.append("\n  raft-property=").append(k).append('=').append(v));
    return sb.toString();
  }
}
