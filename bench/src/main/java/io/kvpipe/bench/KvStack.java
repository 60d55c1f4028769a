package io.kvpipe.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.Ports;
import io.kvpipe.testsupport.load.KvHttp;
import io.kvpipe.testsupport.process.JavaProcess;
import io.kvpipe.testsupport.ratis.KvNodeCluster;
import io.kvpipe.testsupport.tls.TestTls;
import java.io.PrintStream;
import java.nio.file.Path;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.ratis.protocol.RaftGroupId;

/**
 * kvpipe as the benchmarks run it, every part its own OS process on loopback: 3 kv-node processes hosting the meta
 * group and shard groups g1, g2 (3 replicas each, fsync on; {@code --groups N} for g1..gN), and one proxy process
 * bootstrapped with them.
 * Started ready: the proxy answers {@code /ready} and each group is fenced to its ring ranges, so direct writes land
 * only on the owning group. Not thread-safe: one benchmark thread drives it.
 */
final class KvStack implements AutoCloseable {
  static final String DATA_TOKEN = "bench-data-token";
  static final String ADMIN_TOKEN = "bench-admin-token";
  /** The shard groups unless {@code --groups} says otherwise: the dev stack's. */
  static final List<String> GROUPS = List.of("g1", "g2");
  /** The kv-nodes and the proxy as shipped (config/jvm), unless --node-jvm / --proxy-jvm say otherwise. */
  static String shippedJvm(String process) {
    return JvmOptions.of(process) + " --enable-native-access=ALL-UNNAMED";
  }
  private static final Duration START = Duration.ofSeconds(120);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KvNodeCluster nodes;
  private final List<String> groups;
  private final JavaProcess proxy;
  private final int proxyPort;
  private final KvHttp data;
  private final KvHttp admin;
  private final HashRing ring;
  private final long epoch;
  private final Map<String, ShardGroupClient> clients = new LinkedHashMap<>();

  private KvStack(KvNodeCluster nodes, JavaProcess proxy, int proxyPort, List<String> groups, HashRing ring,
                  long epoch) {
    this.nodes = nodes;
    this.groups = groups;
    this.proxy = proxy;
    this.proxyPort = proxyPort;
    String base = "http://127.0.0.1:" + proxyPort;
    this.data = new KvHttp(base, DATA_TOKEN, Duration.ofSeconds(30));
    this.admin = new KvHttp(base, ADMIN_TOKEN, Duration.ofSeconds(30));
    this.ring = ring;
    this.epoch = epoch;
  }

  /** What to start; the JVM options are space-separated (as in {@code --node-jvm "..."}). */
  /** @param tls mutual TLS on the Ratis ports (the default, as kvpipe runs), or plaintext to price it */
  /** @param groups the shard groups, g1..gN, each replicated on all 3 kv-nodes */
  record Options(String nodeJvm, String proxyJvm, List<String> nodeArgs, List<String> proxyArgs, boolean metrics,
                 boolean tls, List<String> groups) {
    static Options from(BenchArgs a) {
      int n = a.integer("groups", GROUPS.size());
      if (n < 1 || n > 9) {
        throw new IllegalArgumentException("--groups must be 1..9, got " + n);
      }
      List<String> groups = java.util.stream.IntStream.rangeClosed(1, n).mapToObj(i -> "g" + i).toList();
      return new Options(a.string("node-jvm", shippedJvm("kv-node")), a.string("proxy-jvm", shippedJvm("proxy")), List.of(), List.of(),
          false, a.onOff("tls", true), groups);
    }

    Options withNodeArgs(String... args) {
      List<String> all = new ArrayList<>(nodeArgs);
      all.addAll(List.of(args));
      return new Options(nodeJvm, proxyJvm, all, proxyArgs, metrics, tls, groups);
    }

    Options withProxyArgs(String... args) {
      List<String> all = new ArrayList<>(proxyArgs);
      all.addAll(List.of(args));
      return new Options(nodeJvm, proxyJvm, nodeArgs, all, metrics, tls, groups);
    }

    Options withMetrics() {
      return new Options(nodeJvm, proxyJvm, nodeArgs, proxyArgs, true, tls, groups);
    }

    Map<String, Object> describe() {
      return io.kvpipe.testsupport.bench.JsonReport.map("kv_nodes", 3, "groups", "meta, " + String.join(", ", groups),
          "replicas", 3,
          "fsync", true, "ratis_tls", tls ? "mutual TLS" : "plaintext", "node_jvm", nodeJvm, "proxy_jvm", proxyJvm,
          "node_args", nodeArgs, "proxy_args", proxyArgs);
    }
  }

  static KvStack start(Path dir, Options o, PrintStream out) {
    out.printf("== starting 3 kv-node processes (meta, %s) and a proxy process in %s%n", String.join(", ", o.groups()),
        dir);
    KvNodeCluster.Builder nb = KvNodeCluster.builder("io.kvpipe.node.KvNodeMain", dir).nodes(3)
        .jvmArgs(split(o.nodeJvm())).group("meta", RaftGroupId.valueOf(GroupIds.uuidOf("meta")))
        .args(o.nodeArgs().toArray(String[]::new)).tls(o.tls() ? TestTls.cluster() : TestTls.PLAINTEXT);
    for (String g : o.groups()) {
      nb.group(g, RaftGroupId.valueOf(GroupIds.uuidOf(g)));
    }
    if (o.metrics()) {
      nb.metricsPorts();
    }
    KvNodeCluster nodes = nb.start(START);
    JavaProcess proxy = null;
    try {
      String peers = nodes.peersSpec();
      int port = Ports.freePort();
      List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", Integer.toString(port),
          "--meta-peers", peers, "--bootstrap-groups",
          String.join(";", o.groups().stream().map(g -> g + "=" + peers).toList())));
      args.addAll(List.of(nodes.tls().flags()));
      args.addAll(o.proxyArgs());
      proxy = JavaProcess.builder("io.kvpipe.proxy.ProxyMain").jvmArgs(split(o.proxyJvm()).toArray(String[]::new))
          .args(args).env("KVPIPE_TOKEN", DATA_TOKEN).env("KVPIPE_ADMIN_TOKEN", ADMIN_TOKEN)
          .logFile(dir.resolve("proxy.log")).build().start();
      KvHttp admin = new KvHttp("http://127.0.0.1:" + port, ADMIN_TOKEN, Duration.ofSeconds(30));
      JavaProcess p = proxy;
      Poll.until("the proxy ready", START, Duration.ofMillis(200), () -> {
        if (!p.isAlive()) {
          throw new Poll.Abort("the proxy exited:\n" + p.logTail(40));
        }
        try {
          return admin.json("GET", "/ready", null).status() == 200;
        } catch (Exception notYet) {
          return false;
        }
      });
      JsonNode shards = JSON.readTree(admin.json("GET", "/api/topology/shards", null).body());
      KvStack stack = new KvStack(nodes, proxy, port, o.groups(), HashRing.of(o.groups(), shards.path("vnodes").asInt()),
          shards.path("epoch").asLong());
      stack.awaitFenced();
      out.printf("   proxy on 127.0.0.1:%d (pid %d), kv-nodes %s%n", port, proxy.pid(), peers);
      return stack;
    } catch (Exception | Error e) {
      if (proxy != null) {
        proxy.stop(Duration.ofSeconds(10));
      }
      nodes.close();
      throw e instanceof RuntimeException r ? r : new IllegalStateException("cannot start kvpipe", e);
    }
  }

  /** Until the proxy fences each group to its ring ranges a group accepts any key: direct writes wait for that. */
  private void awaitFenced() {
    Map<String, HashRanges> own = ring.ownership();
    for (String g : groups) {
      Poll.until(g + " fenced at epoch " + epoch, START, Duration.ofMillis(200), () -> {
        Reply.Status s = client(g).status();
        return s.epoch() == epoch && s.ranges().equals(own.get(g));
      });
    }
  }

  static List<String> split(String jvm) {
    return Arrays.stream(jvm.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
  }

  /** The shard groups (g1..gN). */
  List<String> groups() {
    return groups;
  }

  KvNodeCluster nodes() {
    return nodes;
  }

  JavaProcess proxy() {
    return proxy;
  }

  int proxyPort() {
    return proxyPort;
  }

  String proxyUrl() {
    return "http://127.0.0.1:" + proxyPort;
  }

  KvHttp data() {
    return data;
  }

  KvHttp admin() {
    return admin;
  }

  HashRing ring() {
    return ring;
  }

  String peers() {
    return nodes.peersSpec();
  }

  /** A Ratis client of the group, straight to its replicas (one per group, closed with the stack). */
  ShardGroupClient client(String group) {
    return clients.computeIfAbsent(group, g -> ShardGroupClient.builder(g, PeerAddress.parseList(nodes.peersSpec())).tls(nodes.tls().raftTls())
        .operationTimeout(Duration.ofSeconds(30)).build());
  }

  Map<String, ShardGroupClient> clients() {
    groups.forEach(this::client);
    return clients;
  }

  /** The kv-nodes and the proxy, by name (n1.., proxy), as {@link JitWarmUp} watches them. */
  Map<String, JitWarmUp.Jvm> jitJvms() {
    Map<String, JitWarmUp.Jvm> jvms = new LinkedHashMap<>();
    for (String id : nodes.nodeIds()) {
      jvms.put(id, new JitWarmUp.Jvm(nodes.process(id).pid(),
          new Scrape.Endpoint(URI.create("http://127.0.0.1:" + nodes.metricsPort(id) + "/metrics"), null)));
    }
    jvms.put("proxy", new JitWarmUp.Jvm(proxy.pid(), new Scrape.Endpoint(URI.create(proxyUrl() + "/metrics"), DATA_TOKEN)));
    return jvms;
  }

  Map<String, Long> pids() {
    Map<String, Long> pids = new LinkedHashMap<>();
    for (String id : nodes.nodeIds()) {
      pids.put(id, nodes.process(id).pid());
    }
    pids.put("proxy", proxy.pid());
    return pids;
  }

  @Override
  public void close() {
    try {
      clients.values().forEach(ShardGroupClient::close);
      proxy.stop(Duration.ofSeconds(10));
    } finally {
      nodes.close();
    }
  }
}
