package io.kvpipe.node;

import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.node.cdc.CdcConfig;
import io.kvpipe.node.cdc.LeaderPublishing;
import io.kvpipe.node.meta.MetaGroup;
import io.kvpipe.node.shard.OutboxView;
import io.kvpipe.node.shard.ShardSettings;
import io.kvpipe.node.shard.ShardStateMachine;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
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
 */
public final class KvNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KvNode.class);

  private final NodeConfig config;
  private final RaftServer server;
  private final Map<RaftGroupId, String> groupNames = new LinkedHashMap<>();
  private final Map<String, ShardStateMachine> shards = new ConcurrentHashMap<>();
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final List<LeaderPublishing> publishers = new ArrayList<>();
  private MetricsEndpoint metricsEndpoint;

  private KvNode(NodeConfig config) throws IOException {
    this.config = config;
    for (NodeConfig.GroupSpec g : config.groups()) {
      groupNames.put(RaftGroupId.valueOf(GroupIds.uuidOf(g.name())), g.name());
    }
    RaftProperties props = new RaftProperties();
    RaftServerConfigKeys.setStorageDir(props, List.of(config.dataDir().toFile()));
    GrpcConfigKeys.Server.setHost(props, config.listenHost());
    GrpcConfigKeys.Server.setPort(props, config.listenPort());
    RaftTuning.apply(props, config.snapshotThreshold(), config.logSegmentBytes(), config.maxValueBytes());
    ShardSettings settings = new ShardSettings(config.maxValueBytes(), config.cdcEnabled(), config.outboxMaxEvents(),
        config.outboxMaxBytes());
    this.server = RaftServer.newBuilder()
        .setServerId(RaftPeerId.valueOf(config.nodeId()))
        .setProperties(props)
        .setParameters(new Parameters())
        .setStateMachineRegistry(gid -> newStateMachine(gid, settings))
        .build();
  }

  private StateMachine newStateMachine(RaftGroupId gid, ShardSettings settings) {
    if (MetaGroup.isMeta(gid)) {
      return MetaGroup.newStateMachine();
    }
    String name = groupNames.get(gid);
    if (name == null) {
      // A group directory on disk that the configuration no longer lists: refuse to serve it rather than guess.
      throw new IllegalStateException("data dir holds group " + gid + ", which no --group names");
    }
    ShardStateMachine sm = new ShardStateMachine(name, settings);
    shards.put(name, sm);
    return sm;
  }

  /** Starts the server, joins every configured group, and (if configured) CDC publishing and metrics. */
  public static KvNode start(NodeConfig config) throws IOException {
    KvNode node = new KvNode(config);
    try {
      node.server.start();
      node.addMissingGroups();
      node.bindMetrics();
      if (config.cdcEnabled()) {
        node.startPublishing();
      }
      if (config.metricsPort() != 0) {
        node.metricsEndpoint = new MetricsEndpoint(config.listenHost(), config.metricsPort(), node.registry);
      }
    } catch (IOException | RuntimeException e) {
      node.close();
      throw e;
    }
    return node;
  }

  private void bindMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    shards.values().forEach(s -> s.bindMetrics(registry));
  }

  /** Each shard's leader publishes its outbox to Kafka; publishing follows leadership from here on. */
  private void startPublishing() {
    CdcConfig cdc = config.cdcConfig();
    for (ShardStateMachine shard : shards.values()) {
      publishers.add(LeaderPublishing.attach(shard, cdc, registry));
    }
  }

  private void addMissingGroups() throws IOException {
    Set<RaftGroupId> hosted = new HashSet<>();
    server.getGroupIds().forEach(hosted::add);
    AtomicLong callIds = new AtomicLong();
    for (NodeConfig.GroupSpec g : config.groups()) {
      RaftGroupId gid = RaftGroupId.valueOf(GroupIds.uuidOf(g.name()));
      if (hosted.contains(gid)) {
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
      RaftClientReply reply = server.groupManagement(GroupManagementRequest.newAdd(ClientId.randomId(),
          server.getId(), callIds.incrementAndGet(), RaftGroup.valueOf(gid, peers), true));
      if (!reply.isSuccess()) {
        throw new IOException("cannot create group " + g.name() + ": " + reply.getException(), reply.getException());
      }
      LOG.info("created group {} ({})", g.name(), gid);
    }
  }

  public NodeConfig config() {
    return config;
  }

  /** The CDC view of each hosted shard group, by group name. */
  public Map<String, OutboxView> outboxes() {
    return Map.copyOf(shards);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Stops publishing first (no event leaves after this node stops leading), then the Raft server. */
  @Override
  public void close() throws IOException {
    for (LeaderPublishing p : publishers) {
      p.close();
    }
    if (metricsEndpoint != null) {
      metricsEndpoint.close();
    }
    server.close();
  }
}
