package io.kvpipe.bench;

import io.kvpipe.client.GroupCommit;
import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.bench.ClosedLoop;
import io.kvpipe.testsupport.bench.JsonReport;
import io.kvpipe.testsupport.bench.LatencyRecorder;
import io.kvpipe.testsupport.bench.OpenLoop;
import io.kvpipe.testsupport.kafka.KafkaBroker;
import io.kvpipe.testsupport.ratis.KvNodeCluster;
import io.kvpipe.testsupport.tls.TestTls;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.ratis.protocol.RaftGroupId;

/**
 * Issues 2 and 18's direct-to-Ratis benchmark: one shard group of 3 kv-node processes on loopback (fsync on), driven
 * straight through the Ratis client with 16-byte keys and 100-byte values. Per trial: closed-loop puts at each
 * concurrency and linearizable gets at the highest one, each phase with what it cost every kv-node process (CPU from
 * /proc, % of one core) and the Raft log's entries per fsync (from each node's /metrics); elections that happened
 * while nothing was killed (term changes, elections run); then the leader-kill window over N trials (kill -9 of the
 * leader → first acknowledged write issued after the kill: p50/p99/max). Optional {@code --cdc}: the same run with a
 * Kafka broker and CDC on, to price CDC against CDC off.
 */
public final class NodeBench {
  private static final PrintStream OUT = System.out;
  private static final String GROUP = "g1";
  // Minutes, not seconds: on a shared 2-core box under load (load average 40+) three JVMs took over a minute to listen.
  private static final Duration START = Duration.ofSeconds(180);

  private final Duration phase;
  /** How long the memory phase leaves the loaded nodes idle before reading them once more (0: no such reading). */
  private final Duration memoryRest;
  private final JitWarmUp.Settings warmUp;
  private final int trials;
  private final List<Integer> concurrencies;
  private final int valueBytes;
  private final int keySpace;
  private final Path work;
  /** Mutual TLS on the Ratis ports (the default, as kvpipe runs); off to price it. */
  private final boolean tls;
  /** The client's batching ("off": one request per operation), to price group commit. */
  private final GroupCommit groupCommit;
  /** Extra kv-node flags, space-separated (e.g. "--raft-property raft.server.read.leader.lease.enabled=true"). */
  private final List<String> nodeArgs;
  /**
   * The kv-nodes' JVM flags ({@code --node-jvm "..."}), e.g. with -XX:NativeMemoryTracking=summary for the memory
   * phase's breakdown by JVM area.
   */
  private final List<String> nodeJvm;
  /**
   * The kv-nodes' environment ({@code --node-env "NAME=value ..."}, default: config/jvm/kv-node.env; "" for none),
   * e.g. glibc's malloc settings.
   */
  private final Map<String, String> nodeEnv;
  /** The CDC phase's Kafka broker's JVM flags ({@code --broker-jvm "..."}). */
  private final List<String> brokerJvm;

  private NodeBench(BenchArgs a) {
    this.phase = a.seconds("seconds", 10);
    // The nodes' JIT needs tens of seconds of load: with 5 s, the first trial ran at a quarter of the third.
    this.warmUp = JitWarmUp.Settings.from(a, 60);
    this.trials = a.integer("trials", 3);
    this.concurrencies = a.integers("concurrency", "1,16,64");
    this.valueBytes = a.integer("value-bytes", 100);
    this.keySpace = a.integer("keys", 100_000);
    this.memoryRest = a.seconds("memory-rest-seconds", 0);
    this.work = Path.of(a.string("work-dir", "target/bench-work"));
    this.groupCommit = GroupCommit.parse(a.string("group-commit", GroupCommit.DEFAULT.toString()));
    this.tls = a.onOff("tls", true);
    this.nodeArgs = a.string("node-args", "").isBlank() ? List.of() : List.of(a.string("node-args", "").split(" "));
    List<String> jvm = new java.util.ArrayList<>(List.of(a.string("node-jvm", JvmOptions.of("kv-node")).trim().split(" +")));
    jvm.add("--enable-native-access=ALL-UNNAMED");
    this.nodeJvm = List.copyOf(jvm);
    this.nodeEnv = JvmOptions.envMap(a.string("node-env", JvmOptions.env("kv-node")));
    this.brokerJvm = JvmOptions.broker(a);
  }

  public static void main(String[] args) throws Exception {
    BenchArgs a = new BenchArgs(args);
    NodeBench bench = new NodeBench(a);
    JsonReport report = new JsonReport("node").put("settings", JsonReport.map("phase_seconds",
        bench.phase.toSeconds(), "warm_up", bench.warmUp.describe(), "trials", bench.trials,
        "key_bytes", 16, "value_bytes", bench.valueBytes, "key_space", bench.keySpace, "replicas", 3, "fsync", true,
        "group_commit", bench.groupCommit.toString(), "node_jvm", String.join(" ", bench.nodeJvm), "node_env", bench.nodeEnv, "broker_jvm", String.join(" ", bench.brokerJvm), "ratis_tls", bench.tls, "node_args", String.join(" ", bench.nodeArgs)));
    // --memory-only: just the memory phase (its figures do not depend on the load phases before it).
    Map<String, Object> off = a.flag("memory-only") ? null
        : bench.runCluster(false, a.integer("kill-trials", 10), List.of());
    if (off != null) {
      report.put("cdc_off", off);
    }
    long memoryKeys = a.integer("memory-keys", 1_000_000);
    if (memoryKeys > 0) {
      report.put("memory", bench.runMemory(memoryKeys));
    }
    if (a.flag("cdc")) {
      Map<String, Object> on = bench.runCluster(true, 0, a.integers("lag-rates", "2000,5000"));
      report.put("cdc_on", on);
      double offRate = (double) off.get("median_puts_per_s_at_max_c");
      double onRate = (double) on.get("median_puts_per_s_at_max_c");
      double cost = 1 - onRate / offRate;
      OUT.printf("%nCDC cost at c=max: %.1f%% of put throughput (%.0f/s off vs %.0f/s on; target < 15%%)%n",
          cost * 100, offRate, onRate);
      report.put("cdc_cost_fraction", Math.round(cost * 1000) / 1000.0);
    }
    Path file = report.write(Path.of(a.string("out", "target/bench")));
    OUT.println("wrote " + file.toAbsolutePath());
  }

  private Map<String, Object> runCluster(boolean cdc, int killTrials, List<Integer> lagRates) throws Exception {
    Path dir = Files.createDirectories(work).resolve("node-" + (cdc ? "cdc-" : "") + System.currentTimeMillis());
    KafkaBroker broker = cdc ? JvmOptions.startBroker(brokerJvm, dir.resolve("kafka")) : null;
    OUT.printf("%n== %s: starting 3 kv-node processes in %s%n", cdc ? "CDC on" : "CDC off", dir);
    KvNodeCluster.Builder builder = KvNodeCluster.builder("io.kvpipe.node.KvNodeMain", dir).nodes(3)
        .group(GROUP, RaftGroupId.valueOf(GroupIds.uuidOf(GROUP))).jvmArgs(nodeJvm).metricsPorts()
        .tls(tls ? TestTls.cluster() : TestTls.PLAINTEXT);
    nodeEnv.forEach(builder::env);
    if (broker != null) {
      builder.args("--kafka-bootstrap", broker.bootstrapServers());
    }
    if (!nodeArgs.isEmpty()) {
      builder.args(nodeArgs.toArray(String[]::new));
    }
    try (KvNodeCluster cluster = builder.start(START);
         ShardGroupClient client = ShardGroupClient.builder(GROUP, PeerAddress.parseList(cluster.peersSpec())).tls(cluster.tls().raftTls())
             .operationTimeout(Duration.ofSeconds(10)).groupCommit(groupCommit).build()) {
      cluster.awaitLeader(GROUP, START);
      byte[] value = new byte[valueBytes];
      ThreadLocalRandom.current().nextBytes(value);
      Map<String, Object> warm = warmUp(cluster, client, value);

      NodeProbe probe = new NodeProbe(cluster, GROUP);
      NodeProbe.Snapshot loadStart = probe.snapshot();
      List<Object> trialResults = new ArrayList<>();
      List<Double> maxCRates = new ArrayList<>();
      long loadOps = 0;
      for (int t = 1; t <= trials; t++) {
        OUT.printf("-- trial %d/%d%n", t, trials);
        List<Object> putPhases = new ArrayList<>();
        for (int c : concurrencies) {
          GroupCommit.Stats beforeStats = client.groupCommitStats();
          NodeProbe.Snapshot before = probe.snapshot();
          ClosedLoop.Result r = puts(client, value, c, phase).run();
          GroupCommit.Stats after = client.groupCommitStats();
          double perEntry = (double) (after.writeOps() - beforeStats.writeOps())
              / Math.max(1, after.writeRequests() - beforeStats.writeRequests());
          Map<String, Object> phaseMap = withCost(r, probe.since(before, r.ops()));
          OUT.printf("    %.1f puts per client request (group commit: one log entry each)%n", perEntry);
          phaseMap.put("puts_per_log_entry", Math.round(perEntry * 10) / 10.0);
          putPhases.add(phaseMap);
          loadOps += r.ops();
          if (c == concurrencies.stream().mapToInt(Integer::intValue).max().orElseThrow()) {
            maxCRates.add(r.opsPerSecond());
          }
        }
        int maxC = concurrencies.stream().mapToInt(Integer::intValue).max().orElse(64);
        NodeProbe.Snapshot before = probe.snapshot();
        ClosedLoop.Result gets = new ClosedLoop("linearizable gets", maxC, phase,
            i -> client.getAsync(key(ThreadLocalRandom.current().nextInt(keySpace))), OUT).run();
        Map<String, Object> getPhase = withCost(gets, probe.since(before, gets.ops()));
        loadOps += gets.ops();
        trialResults.add(JsonReport.map("puts", putPhases, "gets", getPhase));
      }
      NodeProbe.Result load = probe.since(loadStart, loadOps);
      OUT.printf("elections while nothing was killed (from the end of the warm-up to the last load phase): term +%d, "
          + "%d elections run by the replicas%n", load.termChange(), load.electionsRun());
      List<Long> kills = new ArrayList<>();
      for (int k = 1; k <= killTrials; k++) {
        double ms = leaderKillWindow(cluster, client, value);
        OUT.printf("leader kill %d/%d: first acknowledged write %.0f ms after kill -9%n", k, killTrials, ms);
        kills.add(Math.round(ms));
      }
      Map<String, Object> killFigures = killFigures(kills);
      List<Object> lags = new ArrayList<>();
      for (int rate : lagRates) {
        lags.add(publishLag(broker.bootstrapServers(), client, value, rate));
      }
      maxCRates.sort(null);
      return JsonReport.map("warm_up", warm, "trials", trialResults, "median_puts_per_s_at_max_c",
          maxCRates.isEmpty() ? 0.0 : maxCRates.get(maxCRates.size() / 2),
          "elections_without_kills", JsonReport.map("term_change", load.termChange(), "elections_run",
              load.electionsRun(), "window", "end of warm-up to end of the last load phase"),
          "leader_kill_to_first_write_ms", kills, "leader_kill", killFigures, "publish_lag", lags);
    } finally {
      if (broker != null) {
        broker.close();
      }
    }
  }

  /** A fresh cluster, so the figures hold only the loaded records: see {@link NodeMemory}. */
  private Map<String, Object> runMemory(long keys) throws Exception {
    Path dir = Files.createDirectories(work).resolve("node-memory-" + System.currentTimeMillis());
    OUT.printf("%n== memory: %,d records of 16 B keys and %d B values in a fresh 3-node group (%s)%n", keys, valueBytes,
        dir);
    String shipped = ShippedClassPath.of("kv-node");
    OUT.printf("memory: the nodes run on %s%n", shipped != null ? "the class path a kv-node ships with"
        : "the benchmark's class path (kvctl/target/*-classpath.txt are not built)");
    KvNodeCluster.Builder builder = KvNodeCluster.builder("io.kvpipe.node.KvNodeMain", dir).nodes(3)
        .group(GROUP, RaftGroupId.valueOf(GroupIds.uuidOf(GROUP))).jvmArgs(nodeJvm).classPath(shipped)
        .metricsPorts().tls(tls ? TestTls.cluster() : TestTls.PLAINTEXT).args(nodeArgs.toArray(String[]::new));
    nodeEnv.forEach(builder::env);
    try (KvNodeCluster cluster = builder.start(START);
         ShardGroupClient client = ShardGroupClient.builder(GROUP, PeerAddress.parseList(cluster.peersSpec()))
             .tls(cluster.tls().raftTls()).operationTimeout(Duration.ofSeconds(55)).build()) {
      cluster.awaitLeader(GROUP, START);
      byte[] value = new byte[valueBytes];
      ThreadLocalRandom.current().nextBytes(value);
      Map<String, Object> figures = new NodeMemory(cluster, GROUP, OUT, dir.resolve("readings"), memoryRest)
          .measure(client, keys, n -> key((int) n), 16, value);
      figures.put("node_class_path", shipped != null ? "shipped" : "benchmark");
      return figures;
    }
  }

  /** Writes at a fixed rate and measures leader stamp → event readable from Kafka, for every event of the phase. */
  private Map<String, Object> publishLag(String bootstrap, ShardGroupClient client, byte[] value, int rate)
      throws Exception {
    try (PublishLagProbe probe = new PublishLagProbe(bootstrap, "kv.changes")) {
      LatencyRecorder lag = probe.startWindow(rate * (int) phase.toSeconds() * 2 + 1000);
      OpenLoop.Result r = new OpenLoop("puts at " + rate + "/s", rate, phase, 2048,
          seq -> client.putAsync(key((int) (seq % keySpace)), value), OUT).run();
      Poll.until("all " + r.ok() + " acknowledged writes of the phase in Kafka", Duration.ofSeconds(60),
          () -> probe.seen() >= r.ok());
      LatencyRecorder.Percentiles p = lag.percentiles();
      OUT.printf("publish lag at %d writes/s (achieved %.0f/s, %d skipped): p50 %.1f ms, p99 %.1f ms, p999 %.1f ms%n",
          rate, r.achievedPerSecond(), r.skipped(), p.p50(), p.p99(), p.p999());
      return JsonReport.map("target_writes_per_s", rate, "achieved_writes_per_s", Math.round(r.achievedPerSecond()),
          "errors", r.errors(), "skipped_at_in_flight_cap", r.skipped(), "events", p.samples(), "p50_ms", p.p50(),
          "p99_ms", p.p99(), "p999_ms", p.p999(), "max_ms", p.max());
    }
  }

  /** A phase's figures with what it cost the nodes, printed as they come. */
  private static Map<String, Object> withCost(ClosedLoop.Result r, NodeProbe.Result cost) {
    OUT.println(r.summary());
    OUT.println(cost.summary());
    Map<String, Object> m = r.toMap();
    m.put("node_cost", cost.figures());
    return m;
  }

  /** p50, p99 (nearest rank: over 10 trials, the worst) and max of the kill windows. */
  private static Map<String, Object> killFigures(List<Long> kills) {
    if (kills.isEmpty()) {
      return null;
    }
    List<Long> sorted = kills.stream().sorted().toList();
    long p50 = sorted.get((int) Math.ceil(0.5 * sorted.size()) - 1);
    long p99 = sorted.get((int) Math.ceil(0.99 * sorted.size()) - 1);
    long max = sorted.get(sorted.size() - 1);
    OUT.printf("leader kill -9 -> first acknowledged write over %d trials: p50 %d ms, p99 %d ms, max %d ms "
        + "(target p99 < 500 ms)%n", kills.size(), p50, p99, max);
    return JsonReport.map("trials", kills.size(), "p50_ms", p50, "p99_ms", p99, "max_ms", max, "target_p99_ms", 500);
  }

  /**
   * Measured with 3 kv-node processes on 2 cores: after 30 s of c=64 alone, c=1 puts still ran at a third of their
   * steady rate (p50 4.7 ms, then 1.4-1.6 ms after ~45 s more of mixed load) — the lone-operation path (no batch)
   * was not compiled yet and C2 competes with the load for the cores. So both paths are exercised, in turn.
   */
  /**
   * The JIT, connections and log segments warmed: puts at c=64 and c=1 and gets at c=64 in turn (the gets' path is
   * compiled too: measured, the leader's JIT took a quarter of a core through a gets phase that followed puts alone).
   */
  private Map<String, Object> warmUp(KvNodeCluster cluster, ShardGroupClient client, byte[] value) throws Exception {
    Map<String, JitWarmUp.Jvm> jvms = new LinkedHashMap<>();
    for (String id : cluster.nodeIds()) {
      jvms.put(id, new JitWarmUp.Jvm(cluster.process(id).pid(),
          new Scrape.Endpoint(URI.create("http://127.0.0.1:" + cluster.metricsPort(id) + "/metrics"), null)));
    }
    return JitWarmUp.run(warmUp, jvms, window -> {
      long end = System.nanoTime() + window.toNanos();
      for (int turn = 0; System.nanoTime() < end; turn++) {
        Duration slice = Duration.ofSeconds(turn % 3 == 0 ? 5 : 3);
        Duration left = Duration.ofNanos(Math.max(1, end - System.nanoTime()));
        Duration d = left.compareTo(slice) < 0 ? left : slice;
        switch (turn % 3) {
          case 0 -> puts(client, value, 64, d).run();
          case 1 -> puts(client, value, 1, d).run();
          default -> new ClosedLoop("linearizable gets", 64, d,
              i -> client.getAsync(key(ThreadLocalRandom.current().nextInt(keySpace))), OUT).run();
        }
      }
    }, OUT);
  }



  private ClosedLoop puts(ShardGroupClient client, byte[] value, int concurrency, Duration d) {
    return new ClosedLoop("puts", concurrency, d,
        i -> client.putAsync(key(ThreadLocalRandom.current().nextInt(keySpace)), value), OUT);
  }

  /**
   * Kills the leader with SIGKILL while a writer keeps putting, and measures until the first put issued after the kill
   * succeeds; then restarts the node and waits until it has caught up, so the next trial starts from 3 healthy peers.
   */
  private double leaderKillWindow(KvNodeCluster cluster, ShardGroupClient client, byte[] value) {
    String leader = cluster.awaitLeader(GROUP, START);
    Instant killedWall = Instant.now();
    long killedAt = System.nanoTime();
    cluster.kill9(leader);
    long firstOk = 0;
    String lastKey = null;
    long lastVersion = 0;
    int i = 0;
    // The client's side of the window, to set against the nodes' log times (KVPIPE_RATIS_LOG_LEVEL=INFO): which
    // failures the caller saw and when, relative to the kill.
    StringBuilder failures = new StringBuilder();
    while (firstOk == 0) {
      if (System.nanoTime() - killedAt > Duration.ofSeconds(60).toNanos()) {
        throw new IllegalStateException("no successful write within 60 s of killing the leader");
      }
      long attemptAt = System.nanoTime();
      try {
        lastKey = key(i++ % keySpace);
        lastVersion = client.put(lastKey, value).version();
        firstOk = System.nanoTime();
      } catch (RuntimeException retry) {
        // Expected while the group elects a new leader: the next attempt is issued at once.
        failures.append(String.format(" [sent +%.0f ms, failed +%.0f ms: %s]", (attemptAt - killedAt) / 1e6,
            (System.nanoTime() - killedAt) / 1e6, retry instanceof KvException kv ? kv.code() : retry.toString()));
      }
    }
    OUT.printf("  killed %s at %s; %d attempt(s)%s; first ack +%.0f ms%n", leader, killedWall, i, failures,
        (firstOk - killedAt) / 1e6);
    cluster.restart(leader, START);
    String key = lastKey;
    long version = lastVersion;
    try (ShardGroupClient onRestarted = ShardGroupClient.connect(GROUP,
        PeerAddress.parseList(cluster.peersSpec()).stream().filter(p -> p.id().equals(leader)).toList(), cluster.tls().raftTls())) {
      Poll.until(leader + " caught up to version " + version, START, Duration.ofMillis(100),
          () -> onRestarted.readRecordAsync(key, true).join().map(e -> e.version() >= version).orElse(false));
    }
    return (firstOk - killedAt) / 1e6;
  }

  /** 16-byte keys, as the issue specifies. */
  private static String key(int n) {
    return KvShape.key(n);
  }
}
