package io.kvpipe.node;

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
import io.kvpipe.node.raft.DeadLeaderWatch;
import io.kvpipe.node.raft.RatisMetricsBridge;
import io.kvpipe.node.reconcile.GroupReconciler;
import io.kvpipe.node.reconcile.GroupRoster;
import io.kvpipe.node.reconcile.ReplicaHost;
import io.kvpipe.node.shard.EventLimit;
import io.kvpipe.node.shard.OutboxView;
import io.kvpipe.node.shard.ShardSettings;
import io.kvpipe.node.shard.ShardStateMachine;
import io.micrometer.core.instrument.Meter;
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
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
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
public final class KvNode implements AutoCloseable, ReplicaHost {
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
  /** Groups whose add by {@link #createReplica} failed and left a directory behind; reconciler thread only. */
  private final Set<RaftGroupId> leftByFailedAdd = new HashSet<>();
  /**
   * Adds Ratis had not finished when {@link #createReplica} stopped waiting, by group. Settled (attached, or cleaned up
   * if Ratis failed it) by the reconciler thread: at the top of each of its loops ({@link #finishPendingAdds}), or by
   * the next createReplica of the group. Concurrent only so that whoever settles one does it exactly once
   * ({@code remove(group, future)}), should a test call createReplica beside the reconciler.
   */
  private final Map<String, CompletableFuture<RaftClientReply>> pendingAdds =
      new ConcurrentHashMap<>();
  /**
   * Groups Ratis is adding now, from the request until Ratis finishes (however long after createReplica stopped
   * waiting): asking Ratis for such a group's division waits for the add, so the watches skip them.
   */
  private final Set<RaftGroupId> addsInFlight = ConcurrentHashMap.newKeySet();
  /** Pending adds of groups the topology took away meanwhile: removed, not attached, once added. Reconciler thread. */
  private final Set<String> removeOnceAdded = ConcurrentHashMap.newKeySet();
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
        .setParameters(config.raftTls().parameters())
        .setStateMachineRegistry(gid -> newStateMachine(gid, settings))
        .build();
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
        node.deadLeaderWatch = new DeadLeaderWatch(node.server, gid -> !node.addsInFlight.contains(gid)).start();
      }
      node.addMissingGroups();
      StandardMeters.bindJvm(node.registry);
      node.shards.values().forEach(node::attach);
      node.startReplicaWatch();
      if (config.metricsPort() != 0) {
        node.metricsEndpoint = new MetricsEndpoint(config.listenHost(), config.metricsPort(), node.registry,
            node.status());
      }
      if (config.followsTopology()) {
        MetaClient meta = new MetaClient(config.metaPeers().stream()
            .map(p -> new Peer(p.id(), p.host(), p.port())).toList(), Duration.ofSeconds(5), config.raftTls());
        node.reconciler = new GroupReconciler(config.nodeId(), NodeConfig.META_GROUP, meta, node, node.roster,
            Duration.ofMillis(config.reconcileIntervalMs()), node.registry);
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
    replicaWatch = new ReplicaWatch(config.nodeId(), server, this::groupName, gid -> !addsInFlight.contains(gid),
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
    RatisMetricsBridge.bind(registry, server.getId(), shard.group(), gid(shard.group()));
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

  private static final Duration REMOVE_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Ratis's group removal waits for the replica to close, and a close can hang (a leader that removed itself closes
   * its replica from inside Ratis, which can deadlock with a request being submitted): the wait is bounded, so one
   * stuck removal never stops the node from following the topology. The roster already says "left", so the next
   * start sets the directory aside.
   */
  private RaftClientReply removeWithin(RaftGroupId gid, String group, Duration timeout) throws IOException {
    CompletableFuture<RaftClientReply> done = new CompletableFuture<>();
    Thread.ofPlatform().daemon().name("remove-group-" + group).start(() -> {
      try {
        done.complete(server.groupManagement(GroupManagementRequest.newRemove(ClientId.randomId(), server.getId(),
            callIds.incrementAndGet(), gid, false, true)));
      } catch (IOException | RuntimeException e) {
        done.completeExceptionally(e);
      }
    });
    try {
      return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IOException("Ratis did not finish removing group " + group + " within " + timeout
          + "; it no longer serves it, and its directory is set aside at the next start", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while removing group " + group, e);
    }
  }

  // ---- ReplicaHost: called by the reconciler's thread only ----

  @Override
  public Set<String> hostedShardGroups() {
    Set<String> out = new TreeSet<>();
    for (RaftGroupId gid : server.getGroupIds()) {
      String name = groupNames.get(gid);
      if (name != null && !MetaGroup.isMeta(gid)) {
        out.add(name);
      }
    }
    return out;
  }

  /**
   * Ratis adds replicas one at a time on a single thread of its own, and an add can hang there (a state machine slow
   * to start, storage that does not answer). So the wait is bounded: past {@code --replica-add-timeout-ms} the add is
   * left to finish on its own and tracked in {@link #pendingAdds}, the reconciler goes on (removals still work: Ratis
   * does not run them on that thread), and the replica is attached (metrics, CDC) once Ratis finishes it, never before:
   * a replica without its publisher would commit writes whose change events nobody sends.
   */
  @Override
  public void createReplica(String group, List<Peer> peers) throws IOException {
    RaftGroupId gid = gid(group);
    if (pendingAdds.containsKey(group)) {
      // An earlier round's add that Ratis failed meanwhile throws its failure here, cleaned up after: the next round
      // adds the group again.
      if (!settlePendingAdd(group)) {
        throw new IOException("Ratis is still adding group " + group + " (an earlier round's add, past "
            + addTimeout() + "); it is attached once Ratis finishes it");
      }
      if (isHosted(gid)) {
        return; // the earlier add finished, and is attached now
      }
    }
    if (!pendingAdds.isEmpty()) {
      // Ratis would queue this add behind the unfinished one on its single group-management thread.
      throw new IOException("not adding group " + group + " yet: Ratis is still adding " + pendingAdds.keySet()
          + ", and it adds one group at a time");
    }
    Path dir = config.dataDir().resolve(gid.getUuid().toString());
    if (Files.exists(dir)) {
      if (!leftByFailedAdd.remove(gid)) {
        // Not hosted, yet its directory is there: it failed to load at start, or its removal has not finished (a
        // late rename would take a new replica's directory away). Formatting it would destroy the evidence.
        throw new IOException("group " + group + " has a directory that failed to load, or whose removal has not"
            + " finished; not reformatting it");
      }
      // Our own earlier add of it failed: Ratis creates a replica's directory when it starts the replica and leaves it
      // behind when that start fails. Refusing it would keep this node from ever hosting the group. It is kept aside
      // for whoever looks into why the add failed, named so that it is not taken for a removed replica's data.
      Files.createDirectories(removedGroupsDir());
      Path to = removedGroupsDir().resolve("failed-add-" + group + "-" + gid.getUuid() + "-"
          + System.currentTimeMillis());
      Files.move(dir, to);
      LOG.warn("group {}: an earlier add of it failed and left its directory; moved that to {}, adding it again",
          group, to);
    }
    groupNames.put(gid, group);
    List<RaftPeer> raftPeers = peers.stream().map(MetaGroup::raftPeer).toList();
    addsInFlight.add(gid);
    CompletableFuture<RaftClientReply> add = server.groupManagementAsync(
        GroupManagementRequest.newAdd(ClientId.randomId(), server.getId(), callIds.incrementAndGet(),
            RaftGroup.valueOf(gid, raftPeers), true));
    add.whenComplete((reply, error) -> addsInFlight.remove(gid));
    try {
      add.get(addTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      pendingAdds.put(group, add);
      throw new IOException("Ratis did not finish adding group " + group + " within " + addTimeout()
          + "; the add goes on, and the replica is attached (metrics, CDC) once Ratis finishes it", e);
    } catch (ExecutionException e) {
      // Settled below, like an add that finished with a failure reply.
    } catch (InterruptedException e) {
      pendingAdds.put(group, add);
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while adding group " + group + "; the add goes on", e);
    }
    settleAdd(group, add);
  }

  private Duration addTimeout() {
    return Duration.ofMillis(config.replicaAddTimeoutMs());
  }

  /**
   * Settles every add {@link #createReplica} stopped waiting for that Ratis has finished since: attaches the replicas
   * it added, cleans up after those it failed (the next round adds them again). Reconciler thread.
   */
  @Override
  public void finishPendingAdds() {
    for (String group : List.copyOf(pendingAdds.keySet())) {
      try {
        settlePendingAdd(group);
      } catch (IOException | RuntimeException e) {
        LOG.warn("group {}: Ratis finished adding it late, and failed: {}; the next round adds it again", group,
            e.toString());
      }
    }
  }

  /** Settles the group's pending add if Ratis finished it; false if it is still under way. */
  private boolean settlePendingAdd(String group) throws IOException {
    CompletableFuture<RaftClientReply> add = pendingAdds.get(group);
    if (add == null || !add.isDone()) {
      return add == null;
    }
    if (!pendingAdds.remove(group, add)) {
      return true; // another thread settled it
    }
    if (removeOnceAdded.remove(group)) {
      if (!add.isCompletedExceptionally() && add.join().isSuccess()) {
        LOG.info("group {}: Ratis finished adding it late; removing it, as the topology asked meanwhile", group);
        removeReplica(group);
      } else {
        shards.remove(group);
      }
      return true;
    }
    settleAdd(group, add);
    LOG.info("group {}: Ratis finished adding it after {} had passed; attached it now", group, addTimeout());
    return true;
  }

  /** Attaches the replica a finished add started, or cleans up after a failed one and throws why. */
  private void settleAdd(String group, CompletableFuture<RaftClientReply> add)
      throws IOException {
    RaftGroupId gid = gid(group);
    Throwable failure;
    try {
      RaftClientReply reply = add.join();
      failure = reply.isSuccess() ? null : reply.getException();
      if (failure == null) {
        LOG.info("created group {} ({})", group, gid);
      }
    } catch (CompletionException | CancellationException e) {
      failure = e.getCause() != null ? e.getCause() : e;
    }
    if (failure != null) {
      if (!isHosted(gid)) {
        // The state machine Ratis asked for is not serving anything: status and CDC views must not list it.
        shards.remove(group);
        if (Files.exists(config.dataDir().resolve(gid.getUuid().toString()))) {
          leftByFailedAdd.add(gid);
        }
      }
      throw failure instanceof IOException io ? io
          : new IOException("cannot create group " + group + ": " + failure, failure);
    }
    ShardStateMachine shard = shards.get(group);
    if (shard == null) {
      throw new IllegalStateException("group " + group + " was added but its state machine is not known");
    }
    attach(shard);
  }

  private boolean isHosted(RaftGroupId gid) {
    for (RaftGroupId g : server.getGroupIds()) {
      if (g.equals(gid)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String removalBlocker(String group, long publishedUpTo) {
    if (pendingAdds.containsKey(group)) {
      // Ratis has not started it (and reading its state would wait for Ratis): it holds no entry of its own.
      return null;
    }
    ShardStateMachine shard = shards.get(group);
    if (shard == null) {
      return null;
    }
    int unpublished = shard.pendingAfter(publishedUpTo, Integer.MAX_VALUE).size();
    if (unpublished > 0) {
      return "it holds " + unpublished + " change events not published to Kafka yet";
    }
    if (publishedUpTo < 0) {
      // Nobody recorded what was published, so each replica judges by its own outbox: only once it applied all it
      // knows committed, and a leader only once every follower has its whole log (the confirmations included). So the
      // leader leaves last, and no follower behind it is left alone with events it can neither publish nor see
      // confirmed. (A follower the last entries have not reached yet cannot know; the leader still holds them.)
      try {
        RaftServer.Division d = server.getDivision(gid(group));
        long applied = d.getInfo().getLastAppliedIndex();
        long committed = d.getRaftLog().getLastCommittedIndex();
        if (applied < committed) {
          return "it applied log index " + applied + " of " + committed + " committed";
        }
        long last = d.getRaftLog().getLastEntryTermIndex() == null ? 0
            : d.getRaftLog().getLastEntryTermIndex().getIndex();
        if (d.getInfo().isLeader()) {
          for (long match : d.getInfo().getFollowerMatchIndices()) {
            if (match < last) {
              return "it leads and a follower has its log up to index " + match + " of " + last + " only";
            }
          }
        }
      } catch (IOException e) {
        return "its state is unknown: " + e.getMessage();
      }
    }
    return null;
  }

  @Override
  public void removeReplica(String group) throws IOException {
    RaftGroupId gid = gid(group);
    if (pendingAdds.containsKey(group) && !settlePendingAdd(group)) {
      // Removing a replica Ratis is still starting would race its start; it is removed, not attached, once the add
      // finishes (the roster already says left, so a restart sets it aside too).
      removeOnceAdded.add(group);
      LOG.warn("group {}: to be removed while Ratis is still adding it; removed once that add finishes", group);
      return;
    }
    // Publishing stops first: a replica on its way out must not send one more event.
    LeaderPublishing publisher = publishers.remove(group);
    if (publisher != null) {
      publisher.close();
    }
    RaftClientReply reply = removeWithin(gid, group, REMOVE_TIMEOUT);
    if (!reply.isSuccess()) {
      throw new IOException("cannot remove group " + group + ": " + reply.getException(), reply.getException());
    }
    shards.remove(group);
    List<Meter> meters = registry.getMeters().stream().filter(m -> group.equals(m.getId().getTag("group"))).toList();
    meters.forEach(registry::remove);
    // Ratis moved the directory to removed-groups/<uuid>; a later removal of the same group would collide there.
    Path moved = removedGroupsDir().resolve(gid.getUuid().toString());
    if (Files.isDirectory(moved)) {
      Files.move(moved, removedGroupsDir().resolve(group + "-" + gid.getUuid() + "-" + System.currentTimeMillis()));
    }
    LOG.info("removed group {} ({}); its data is kept under {}", group, gid, removedGroupsDir());
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
    Set<RaftGroupId> adding = new HashSet<>(addsInFlight);
    pendingAdds.keySet().forEach(g -> adding.add(gid(g)));
    return new NodeStatus(config.nodeId(), server, this::groupName, shards, publishers, config.cdcEnabled(),
        io.kvpipe.node.status.Readiness.DEFAULT_MAX_APPLY_LAG, adding, this::fatalCause);
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
