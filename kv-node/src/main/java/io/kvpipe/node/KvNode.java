package io.kvpipe.node;

import io.kvpipe.client.RaftTls;
import io.kvpipe.client.meta.MetaClient;
import io.kvpipe.common.metrics.StandardMeters;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.node.cdc.CdcKafkaException;
import io.kvpipe.node.cdc.CdcOffWatch;
import io.kvpipe.node.cdc.ChangeTopic;
import io.kvpipe.node.cdc.LeaderPublishing;
import io.kvpipe.node.cdc.TopicStatus;
import io.kvpipe.node.meta.MetaGroup;
import io.kvpipe.node.raft.AnchoredCommitGuard;
import io.kvpipe.node.raft.DeadLeaderWatch;
import io.kvpipe.node.raft.InlineRaftCalls;
import io.kvpipe.node.raft.RatisMetricsBridge;
import io.kvpipe.node.reconcile.GroupReconciler;
import io.kvpipe.node.reconcile.GroupRoster;
import io.kvpipe.node.reconcile.ReplicaHost;
import io.kvpipe.node.shard.EventLimit;
import io.kvpipe.node.shard.OutboxView;
import io.kvpipe.node.shard.ShardSettings;
import io.kvpipe.node.shard.ShardStateMachine;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.statemachine.StateMachine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One kv-node: a single Ratis server (one gRPC port) hosting a replica of each configured group. Groups already in
 * the data directory are recovered from it; configured groups not yet there are created. Requests for a group this
 * node does not host are refused by Ratis (the client reports UNKNOWN_GROUP). The group named "meta" runs the
 * topology state machine; every other group is a shard.
 *
 * <p>With meta peers configured, a {@link GroupReconciler} then creates, joins and removes shard replicas as the
 * topology says; the names of those groups live in the data dir ({@link GroupRoster}) so a restart recovers them.
 */
public final class KvNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KvNode.class);

  /** Directory (in the data dir) where removed replicas' directories are kept. */
  public static final String REMOVED_GROUPS_DIR = "removed-groups";

  private final NodeConfig config;
  private final RaftServer server;
  /** Names of the groups the state machine registry may serve: from --group flags, the roster, the reconciler. */
  private final Map<RaftGroupId, String> groupNames = new ConcurrentHashMap<>();
  private final Map<String, ShardStateMachine> shards = new ConcurrentHashMap<>();
  // Filters first: they apply to meters registered after them (no Kafka rates/averages; buckets on every timer).
  private final PrometheusMeterRegistry registry =
      StandardMeters.configure(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  private final Map<String, LeaderPublishing> publishers = new ConcurrentHashMap<>();
  private final GroupRoster roster;
  /** The change topic's limits and durability as this node knows them; null with CDC off. */
  private final TopicStatus topicStatus;
  private final AtomicLong callIds = new AtomicLong();
  /** Creates and removes shard replicas as the reconciler asks. */
  private final ReplicaLifecycle replicas;
  private MetricsEndpoint metricsEndpoint;
  /** Checks that Ratis still runs every replica it lists. */
  private ReplicaWatch replicaWatch;
  private DeadLeaderWatch deadLeaderWatch;
  private GroupReconciler reconciler;

  private KvNode(NodeConfig config) throws IOException {
    this.config = config;
    Files.createDirectories(config.dataDir());
    this.roster = GroupRoster.load(config.dataDir());
    for (NodeConfig.GroupSpec g : config.groups()) {
      groupNames.put(gid(g.name()), g.name());
    }
    for (String g : roster.managed()) {
      groupNames.put(gid(g), g);
    }
    setAsideLeftGroups();
    RaftProperties props = new RaftProperties();
    RaftServerConfigKeys.setStorageDir(props, List.of(config.dataDir().toFile()));
    RaftServerConfigKeys.setRemovedGroupsDir(props, removedGroupsDir().toFile());
    GrpcConfigKeys.Server.setHost(props, config.listenHost());
    GrpcConfigKeys.Server.setPort(props, config.listenPort());
    RaftTuning.apply(props, config.snapshotThreshold(), config.logSegmentBytes(), config.maxValueBytes());
    config.raftProperties().forEach(props::set);
    this.topicStatus = config.cdcEnabled() ? new TopicStatus(config.cdcConfig(), config.maxValueBytes(), registry)
        : null;
    ShardSettings settings = new ShardSettings(config.maxValueBytes(), config.cdcEnabled(), config.outboxMaxEvents(),
        config.outboxMaxBytes(), topicStatus != null ? topicStatus : EventLimit.NONE);
    RatisMetricsBridge.install(); // before the server makes its replicas' metric registries
    this.server = RaftServer.newBuilder()
        .setServerId(RaftPeerId.valueOf(config.nodeId()))
        .setProperties(props)
        .setParameters(raftParameters(config.raftTls(), config.raftInlineCalls()))
        .setStateMachineRegistry(gid -> newStateMachine(gid, settings))
        .build();
    this.replicas = new ReplicaLifecycle(server, config, groupNames, shards, publishers, registry, this::attach,
        removedGroupsDir());
  }

  /**
   * The Raft server's parameters: its TLS and how its gRPC services run, with the guard that keeps a follower from
   * committing entries an AppendEntries never vouched for ({@link AnchoredCommitGuard}). Also for in-process test
   * clusters.
   */
  static Parameters raftParameters(RaftTls tls, boolean inlineCalls) {
    Parameters p = tls.parameters();
    return AnchoredCommitGuard.apply(inlineCalls ? InlineRaftCalls.apply(p) : p);
  }

  private StateMachine newStateMachine(RaftGroupId gid, ShardSettings settings) {
    if (MetaGroup.isMeta(gid)) {
      return MetaGroup.newStateMachine();
    }
    String name = groupNames.get(gid);
    if (name == null) {
      // A group directory on disk that neither the configuration nor the roster names: refuse to serve it rather
      // than guess which group (and so which state machine) it is.
      throw new IllegalStateException("data dir holds group " + gid + ", which no --group or " + GroupRoster.FILE_NAME
          + " names");
    }
    ShardStateMachine sm = new ShardStateMachine(name, settings);
    shards.put(name, sm);
    return sm;
  }

  /** Starts the server, joins every configured group, and (if configured) CDC publishing and metrics. */
  public static KvNode start(NodeConfig config) throws IOException {
    if (!config.raftTls().enabled()) {
      LOG.warn("Ratis port {}:{} runs WITHOUT TLS (--insecure-plaintext): anyone who can reach it can submit any"
          + " command to any group, rewrite the topology or delete data without change events", config.listenHost(),
          config.listenPort());
    }
    KvNode node = new KvNode(config);
    try {
      node.checkChangeTopic();
      node.server.start();
      if (DeadLeaderWatch.enabled()) {
        node.deadLeaderWatch = new DeadLeaderWatch(node.server, gid -> !node.replicas.inFlight(gid)).start();
      }
      node.addMissingGroups();
      StandardMeters.bindJvm(node.registry);
      node.shards.values().forEach(node::attach);
      node.startReplicaWatch();
      if (config.metricsPort() != 0) {
        node.metricsEndpoint = new MetricsEndpoint(config.listenHost(), config.metricsPort(), node.registry,
            node::status);
      }
      if (config.followsTopology()) {
        MetaClient meta = new MetaClient(config.metaPeers().stream()
            .map(p -> new Peer(p.id(), p.host(), p.port())).toList(), Duration.ofSeconds(5), config.raftTls());
        node.reconciler = new GroupReconciler(config.nodeId(), NodeConfig.META_GROUP, meta, node.replicas,
            node.roster, Duration.ofMillis(config.reconcileIntervalMs()), node.registry);
        node.reconciler.start();
      }
    } catch (IOException | RuntimeException e) {
      node.close();
      throw e;
    }
    return node;
  }

  /**
   * Reads the change topic's real settings before serving: its record limit decides which writes a leader here must
   * refuse (an event Kafka refuses is refused for good), and its durability is reported. Kafka may be down: then the
   * producer's own bound applies until a leader reads the topic when it starts publishing.
   */
  private void checkChangeTopic() {
    if (topicStatus == null) {
      LOG.warn("CDC is OFF on this node (no --kafka-bootstrap): writes committed while it leads a shard group make no"
          + " change events. If other nodes of the cluster publish, start this one with --kafka-bootstrap too");
      return;
    }
    try {
      topicStatus.update(ChangeTopic.ensure(config.cdcConfig(), TOPIC_CHECK_AT_START));
    } catch (CdcKafkaException e) {
      LOG.warn("CDC: cannot read topic {} at start ({}); until a leader here reads it, {}", config.topic(),
          e.getMessage(), topicStatus.describe());
    }
  }

  private static final Duration TOPIC_CHECK_AT_START = Duration.ofSeconds(3);

  private void startReplicaWatch() {
    replicaWatch = new ReplicaWatch(config.nodeId(), server, this::groupName, gid -> !replicas.inFlight(gid),
        this::fatalCause, registry).start();
  }

  private String groupName(RaftGroupId gid) {
    return MetaGroup.isMeta(gid) ? NodeConfig.META_GROUP : groupNames.getOrDefault(gid, gid.toString());
  }

  /**
   * A shard replica's metrics and, with CDC on, its publishing: its leader publishes the outbox to Kafka, following
   * leadership from here on. The same for replicas present at start and ones the reconciler creates later.
   */
  private void attach(ShardStateMachine shard) {
    shard.bindMetrics(registry);
    RatisMetricsBridge.bind(registry, server, shard.group(), gid(shard.group()));
    if (config.cdcEnabled()) {
      publishers.put(shard.group(), LeaderPublishing.attach(shard, config.cdcConfig(), registry, topicStatus));
    } else {
      CdcOffWatch.attach(shard, registry);
    }
  }

  private static RaftGroupId gid(String name) {
    return RaftGroupId.valueOf(GroupIds.uuidOf(name));
  }

  private Path removedGroupsDir() {
    return config.dataDir().resolve(REMOVED_GROUPS_DIR);
  }

  /** Finishes removals a stop interrupted: a left group's directory still in the data dir is moved aside. */
  private void setAsideLeftGroups() throws IOException {
    for (String g : roster.left()) {
      Path d = config.dataDir().resolve(gid(g).getUuid().toString());
      if (Files.isDirectory(d)) {
        Files.createDirectories(removedGroupsDir());
        Path to = removedGroupsDir().resolve(g + "-" + gid(g).getUuid() + "-" + System.currentTimeMillis());
        Files.move(d, to);
        LOG.warn("group {} was left but its directory was still in place; moved it to {}", g, to);
      }
    }
  }

  private void addMissingGroups() throws IOException {
    Set<RaftGroupId> hosted = new HashSet<>();
    server.getGroupIds().forEach(hosted::add);
    for (NodeConfig.GroupSpec g : config.groups()) {
      RaftGroupId gid = gid(g.name());
      if (hosted.contains(gid)) {
        continue;
      }
      if (roster.hasLeft(g.name())) {
        // The topology took this replica away; recreating it from a stale flag would bring back a member the group
        // no longer has. The reconciler creates it again if the topology gives it back.
        LOG.warn("group {} is named by --group but this node has left it; not recreating it", g.name());
        continue;
      }
      if (java.nio.file.Files.exists(config.dataDir().resolve(gid.getUuid().toString()))) {
        // Ratis found the directory but could not load it (e.g. a snapshot failed its checksum). Creating the group
        // would format that directory: refuse, so the damage is seen instead of silently replaced.
        throw new IOException("group " + g.name() + " has data in " + config.dataDir().resolve(
            gid.getUuid().toString()) + " that failed to load (see the errors above); refusing to start rather"
            + " than reformat it");
      }
      List<RaftPeer> peers = new ArrayList<>();
      for (PeerAddress p : g.peers()) {
        peers.add(RaftPeer.newBuilder().setId(p.id()).setAddress(p.address()).build());
      }
      addGroup(g.name(), peers);
    }
  }

  private void addGroup(String name, List<RaftPeer> peers) throws IOException {
    RaftGroupId gid = gid(name);
    RaftClientReply reply = server.groupManagement(GroupManagementRequest.newAdd(ClientId.randomId(),
        server.getId(), callIds.incrementAndGet(), RaftGroup.valueOf(gid, peers), true));
    if (!reply.isSuccess()) {
      throw new IOException("cannot create group " + name + ": " + reply.getException(), reply.getException());
    }
    LOG.info("created group {} ({}) with peers {}", name, gid, peers.isEmpty() ? "(none yet: joining)" : peers);
  }

  public NodeConfig config() {
    return config;
  }

  /** The CDC view of each hosted shard group, by group name. */
  public Map<String, OutboxView> outboxes() {
    return Map.copyOf(shards);
  }

  /** This node's readiness and replica states (what {@code /ready} and {@code /status} serve). */
  NodeStatus status() {
    // Still being added (even within createReplica's own wait): reading their state from Ratis would wait for it.
    return new NodeStatus(config.nodeId(), server, this::groupName, shards, publishers, config.cdcEnabled(),
        io.kvpipe.node.status.Readiness.DEFAULT_MAX_APPLY_LAG, replicas.adding(), this::fatalCause);
  }

  private String fatalCause(String group) {
    ShardStateMachine shard = shards.get(group);
    return shard == null ? null : shard.fatalCause();
  }

  /** Whether this node is ready now (see {@link io.kvpipe.node.status.Readiness}); for tests and diagnostics. */
  public io.kvpipe.node.status.Readiness.Result readiness() {
    return status().readiness();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The Ratis server (tests: e.g. to change a Ratis setting between two attempts of an operation). */
  RaftServer raftServer() {
    return server;
  }

  /** Creating and removing shard replicas, as the reconciler does (tests call it directly too). */
  public ReplicaHost replicas() {
    return replicas;
  }

  /** The topology follower, if this node has meta peers (for tests and diagnostics). */
  public java.util.Optional<GroupReconciler> reconciler() {
    return java.util.Optional.ofNullable(reconciler);
  }

  /**
   * Stops following the topology first (no replica appears or goes while closing), then publishing (no event leaves
   * after this node stops leading), then the Raft server.
   */
  @Override
  public void close() throws IOException {
    if (reconciler != null) {
      reconciler.close();
    }
    for (LeaderPublishing p : publishers.values()) {
      p.close();
    }
    if (metricsEndpoint != null) {
      metricsEndpoint.close();
    }
    if (replicaWatch != null) {
      replicaWatch.close();
    }
    if (deadLeaderWatch != null) {
      deadLeaderWatch.close();
    }
    server.close();
  }
}
