package io.kvpipe.systemtest;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.consumer.ArchiveService;
import io.kvpipe.consumer.ConsumerConfig;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.process.JavaProcess;
import io.kvpipe.testsupport.ratis.KvNodeCluster;
import io.kvpipe.testsupport.tls.TestTls;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.ratis.protocol.RaftGroupId;

/**
 * The whole system for a scenario: three kv-node processes hosting the meta group and the first shard groups (nodes
 * follow the topology, so groups added later appear on them by themselves), spare kv-nodes that host nothing until
 * the topology names them, proxies as child processes (so one can be killed with SIGKILL), and optionally the CDC
 * pipeline: nodes publishing to a real broker and the archive consumer (in this JVM) writing to a fresh database.
 * One test drives it.
 */
final class SystemStack implements AutoCloseable {
  static final String DATA_TOKEN = "data-token-for-system-tests";
  static final String ADMIN_TOKEN = "admin-token-for-system-tests";
  static final Duration START = Duration.ofSeconds(90);
  private static final int PARTITIONS = 3;

  private final Path dir;
  private final KvNodeCluster nodes;
  private final List<String> nodeArgs;
  private final Map<String, ProxyProcess> proxies = new LinkedHashMap<>();
  /** n1..n3, the meta group's replicas and the first groups' (spare nodes are added to the cluster later). */
  private final String coreSpec;
  private final Map<String, ShardGroupClient> groupClients = new LinkedHashMap<>();
  private final String bootstrapGroups;
  private final String kafkaBootstrap;
  private final String topic;
  private final MySqlDatabase db;
  private ArchiveService archive;
  /** The archive consumer when it runs as a child process (so a nemesis can kill -9 it), else null. */
  private JavaProcess archiveProcess;
  private final boolean archiveAsProcess;
  /** The archive process's metrics port, or 0 (none) unless built with {@link Builder#metricsPorts()}. */
  private final int archiveMetricsPort;
  private final List<String> proxyArgs;
  private final TestTls.Files tls;
  private final CompletableFuture<Void> archiveDone = new CompletableFuture<>();
  private KafkaConsumer<byte[], byte[]> offsetsProbe;

  private SystemStack(Builder b) {
    this.dir = b.dir;
    this.kafkaBootstrap = b.kafkaBootstrap;
    this.db = b.db;
    this.archiveAsProcess = b.archiveAsProcess;
    this.archiveMetricsPort = b.metricsPorts && b.archiveAsProcess ? io.kvpipe.testsupport.Ports.freePort() : 0;
    this.proxyArgs = b.proxyArgs;
    this.tls = b.tls;
    this.topic = b.kafkaBootstrap == null ? null : b.topic;
    List<String> args = new ArrayList<>();
    if (kafkaBootstrap != null) {
      args.addAll(List.of("--kafka-bootstrap", kafkaBootstrap, "--topic", topic));
    }
    this.nodeArgs = List.copyOf(args);
    KvNodeCluster.Builder nb = KvNodeCluster.builder("io.kvpipe.node.KvNodeMain", dir).nodes(3)
        .group("meta", RaftGroupId.valueOf(GroupIds.uuidOf("meta")));
    for (String g : b.groups) {
      nb.group(g, RaftGroupId.valueOf(GroupIds.uuidOf(g)));
    }
    if (b.network != null) {
      nb.network(b.network::host, b.network::launcher);
    }
    nb.tls(b.tls);
    if (b.metricsPorts) {
      nb.metricsPorts();
    }
    this.nodes = nb.args(nodeArgs.toArray(String[]::new)).start(START);
    this.coreSpec = nodes.peersSpec();
    List<String> specs = new ArrayList<>();
    b.groups.forEach(g -> specs.add(g + "=" + coreSpec));
    this.bootstrapGroups = String.join(";", specs);
  }

  static Builder builder(Path dir) {
    return new Builder(dir);
  }

  static final class Builder {
    private final Path dir;
    private List<String> groups = List.of("g1", "g2");
    private List<String> proxies = List.of("a");
    private int spareNodes;
    private String kafkaBootstrap;
    private MySqlDatabase db;
    private boolean archiveAsProcess;
    private boolean metricsPorts;
    private NodeNetwork network;
    private List<String> proxyArgs = List.of();
    private TestTls.Files tls = TestTls.cluster();
    /**
     * The change topic, of this stack only: the test classes of a JVM share one broker
     * ({@code KafkaBrokerExtension.shared()}), so a stack must not read another's events (nor its consumer group).
     */
    private final String topic = "kv.changes.system-"
        + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & 0xffffffffffL);

    private Builder(Path dir) {
      this.dir = dir;
    }

    /** The change topic the stack's nodes will publish to (with {@link #pipeline}). */
    String topic() {
      return topic;
    }

    /** The shard groups on the first ring (hosted by n1..n3). */
    Builder groups(String... g) {
      this.groups = List.of(g);
      return this;
    }

    Builder proxies(String... names) {
      this.proxies = List.of(names);
      return this;
    }

    /** kv-nodes n4, n5, ... that host no group until the topology names them. */
    Builder spareNodes(int n) {
      this.spareNodes = n;
      return this;
    }

    /** CDC on: nodes publish to this broker, the archive consumer writes to {@code database}. */
    Builder pipeline(String bootstrapServers, MySqlDatabase database) {
      this.kafkaBootstrap = bootstrapServers;
      this.db = database;
      return this;
    }

    /** Every kv-node, and the archive consumer if it runs as a process, serves /metrics on a port of its own. */
    Builder metricsPorts() {
      this.metricsPorts = true;
      return this;
    }

    /** The archive consumer runs as a child process ({@link #archiveProcess()}) instead of in this JVM. */
    Builder archiveAsProcess() {
      this.archiveAsProcess = true;
      return this;
    }

    /** Extra flags for every proxy, after the fixture's own (a flag given again wins). */
    Builder proxyArgs(String... args) {
      this.proxyArgs = List.of(args);
      return this;
    }

    /**
     * Every kv-node in its own network namespace on {@code net} (so one can be cut off); the caller closes it. The
     * Ratis ports then use a certificate naming the nodes' addresses (clients check them).
     */
    Builder network(NodeNetwork net) {
      this.network = net;
      this.tls = TestTls.forAddresses("kvpipe-test-netns", net.nodeAddresses());
      return this;
    }

    SystemStack start() throws Exception {
      if (kafkaBootstrap != null) {
        createTopics(kafkaBootstrap, topic, topic + ".dlq");
      }
      SystemStack s = new SystemStack(this);
      try {
        // Every other process starts at once, while the groups elect their leaders (a JVM's start is mostly class
        // loading, an election mostly waiting): the proxies retry until the meta group answers, spare nodes follow
        // the topology once it does, the archive reads the topic whoever writes. Then each is waited for.
        List<String> spares = new ArrayList<>();
        for (int i = 0; i < spareNodes; i++) {
          spares.add("n" + (4 + i));
          s.launchSpare(spares.getLast());
        }
        List<ProxyProcess> launched = new ArrayList<>();
        for (String p : proxies) {
          launched.add(s.launchProxy(p));
        }
        if (kafkaBootstrap != null) {
          s.startArchive();
        }
        for (String g : groups) {
          s.nodes.awaitLeader(g, START);
        }
        for (String id : spares) {
          s.nodes.restartWait(id, START);
        }
        for (ProxyProcess p : launched) {
          p.awaitReady(START);
        }
        return s;
      } catch (Exception | Error e) {
        s.close();
        throw e;
      }
    }
  }

  private void launchSpare(String id) {
    List<String> args = new ArrayList<>(List.of("--meta-peers", coreSpec));
    args.addAll(nodeArgs);
    nodes.launchNode(id, args);
  }

  ProxyProcess startProxy(String name) {
    return launchProxy(name).awaitReady(START);
  }

  private ProxyProcess launchProxy(String name) {
    ProxyProcess p = new ProxyProcess(name, dir, coreSpec, bootstrapGroups, proxyArgs, tls);
    proxies.put(name, p);
    return p.launch();
  }

  private void startArchive() throws Exception {
    if (archiveAsProcess) {
      archiveProcess = JavaProcess.builder("io.kvpipe.consumer.ConsumerMain").args(archiveArgs())
          .logFile(dir.resolve("consumer.log")).build().start();
      return;
    }
    archive = new ArchiveService(ConsumerConfig.parse(archiveArgs(), Map.of()));
    ArchiveService service = archive;
    Thread.ofPlatform().name("archive-system").start(() -> {
      try (service) {
        service.run();
        archiveDone.complete(null);
      } catch (Throwable e) {
        archiveDone.completeExceptionally(e);
      }
    });
  }

  private String[] archiveArgs() {
    return new String[] {"--kafka-bootstrap", kafkaBootstrap,
        "--topic", topic, "--dlq-topic", topic + ".dlq", "--group-id", "archive-" + topic,
        "--jdbc-url", db.jdbcUrl(), "--jdbc-user", db.user(), "--jdbc-password", db.password(),
        "--metrics-port", Integer.toString(archiveMetricsPort), "--max-backoff-ms", "1000", "--max-poll-records", "1000",
        "--statement-rows", "200"};
  }

  /** The archive process's metrics port (0 unless built with metricsPorts() and archiveAsProcess()). */
  int archiveMetricsPort() {
    return archiveMetricsPort;
  }

  /** The archive consumer's process, if built with {@link Builder#archiveAsProcess()}. */
  JavaProcess archiveProcess() {
    return archiveProcess;
  }

  String kafkaBootstrap() {
    return kafkaBootstrap;
  }

  KvNodeCluster nodes() {
    return nodes;
  }

  ProxyProcess proxy(String name) {
    return proxies.get(name);
  }

  /** A spare node's peer address {@code id@127.0.0.1:port}. */
  String spareAddress(String id) {
    return nodes.peerSpec(id);
  }

  /** The peers of the first three nodes, as a list of {@code id@host:port}. */
  List<String> corePeers() {
    return List.of(coreSpec.split(","));
  }

  /** The change topic (null without the pipeline). */
  String topic() {
    return topic;
  }

  boolean hasPipeline() {
    return kafkaBootstrap != null;
  }

  MySqlDatabase database() {
    return db;
  }

  /** A client of the Raft group {@code id} at {@code peers} (cached per group and peer list). */
  ShardGroupClient group(String id, List<String> peers) {
    String key = id + "=" + String.join(",", peers);
    return groupClients.computeIfAbsent(key, k -> ShardGroupClient.builder(id,
        PeerAddress.parseList(String.join(",", peers))).tls(tls.raftTls()).operationTimeout(Duration.ofSeconds(30)).build());
  }

  /**
   * Shard groups in the topology: id → peers (as {@code id@host:port}), which are on the ring, and id → the Raft
   * group of its current incarnation (what a direct client talks to).
   */
  record Shards(Map<String, List<String>> peers, List<String> ring, int vnodes, long epoch,
                Map<String, String> raftGroups) {}

  Shards shards(AdminApi admin) {
    JsonNode n = admin.call("GET", "/api/topology/shards", null, 200);
    Map<String, List<String>> peers = new LinkedHashMap<>();
    Map<String, String> raftGroups = new LinkedHashMap<>();
    List<String> ring = new ArrayList<>();
    for (JsonNode s : n.path("shards")) {
      List<String> ps = new ArrayList<>();
      s.path("peers").forEach(p -> ps.add(p.asText()));
      String id = s.path("id").asText();
      peers.put(id, ps);
      raftGroups.put(id, s.path("raftGroup").asText(id));
      if (s.path("onRing").asBoolean()) {
        ring.add(id);
      }
    }
    return new Shards(peers, ring, n.path("vnodes").asInt(), n.path("epoch").asLong(), raftGroups);
  }

  /** A client of group {@code id}'s current incarnation, as {@code shards} lists it. */
  ShardGroupClient group(Shards shards, String id) {
    return group(shards.raftGroups().get(id), shards.peers().get(id));
  }

  /**
   * True when nothing is in flight in the pipeline: every ring group's outbox is empty and the consumer's offsets
   * stored in MySQL reach the end of every partition.
   */
  boolean pipelineIdle(Shards shards) {
    if (archiveProcess != null && !archiveProcess.isAlive()) {
      return false; // killed on purpose, not restarted yet
    }
    if (archiveDone.isDone()) {
      String why = archiveDone.handle((ok, e) -> e == null ? "it returned" : e.toString()).join();
      throw new Poll.Abort("the archive consumer stopped: " + why);
    }
    for (String g : shards.ring()) {
      if (group(shards, g).status().outboxEvents() != 0) {
        return false;
      }
    }
    if (offsetsProbe == null) {
      offsetsProbe = new KafkaConsumer<>(Map.of("bootstrap.servers", kafkaBootstrap), new ByteArrayDeserializer(),
          new ByteArrayDeserializer());
    }
    List<TopicPartition> parts = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      parts.add(new TopicPartition(topic, p));
    }
    long end = offsetsProbe.endOffsets(parts, Duration.ofSeconds(30)).values().stream().mapToLong(Long::longValue)
        .sum();
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT COALESCE(SUM(next_offset), 0) FROM kv_consumer_offsets WHERE topic = '" + topic + "'")) {
      rs.next();
      return rs.getLong(1) == end;
    } catch (SQLException notYet) {
      return false; // schema not migrated yet
    }
  }

  private static void createTopics(String bootstrap, String... topics) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      List<NewTopic> list = new ArrayList<>();
      for (String t : topics) {
        list.add(new NewTopic(t, PARTITIONS, (short) 1));
      }
      admin.createTopics(list).all().get(60, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() throws Exception {
    // SIGTERM to every child process first, so they all shut down at once (then each is waited for below).
    if (archiveProcess != null) {
      archiveProcess.askStop();
    }
    proxies.values().forEach(ProxyProcess::askStop);
    nodes.processes().forEach(JavaProcess::askStop);
    try {
      if (archive != null) {
        archive.stop();
        archiveDone.get(60, TimeUnit.SECONDS);
      }
      if (archiveProcess != null) {
        archiveProcess.stop(Duration.ofSeconds(10));
      }
    } finally {
      if (offsetsProbe != null) {
        offsetsProbe.close();
      }
      groupClients.values().forEach(ShardGroupClient::close);
      proxies.values().forEach(ProxyProcess::close);
      nodes.close();
    }
  }
}
