package io.kvpipe.bench;

import io.kvpipe.common.ring.HashRing;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.bench.ChangelogWatcher;
import io.kvpipe.testsupport.bench.JsonReport;
import io.kvpipe.testsupport.bench.LatencyRecorder;
import io.kvpipe.testsupport.bench.OpenLoop;
import io.kvpipe.testsupport.bench.ProcessCpu;
import io.kvpipe.testsupport.bench.VisibilityTracker;
import io.kvpipe.testsupport.kafka.KafkaBroker;
import io.kvpipe.testsupport.load.KvHttp;
import io.kvpipe.testsupport.mysql.LocalMySqlServer;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.process.JavaProcess;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * Issue 18's open-loop whole-pipeline benchmark: every part on this box, each its own process — 3 kv-nodes (meta, g1,
 * g2; CDC on), a Kafka broker, the cdc-consumer, a throwaway MariaDB/MySQL with durable commits, and a proxy. Writes
 * go through the proxy at fixed rates (open loop: issued on schedule whether or not earlier ones have answered, so
 * queueing shows as latency; a cap on writes in flight reports overload as skipped writes), and each rate reports
 * write-ack p50/p99/p999, errors, and the CDC end-to-end latency (ack → row visible in kv_changelog, by a poller),
 * with each process's CPU. Names the highest rate whose ack p99 stays under the target (25 ms) with no errors.
 */
public final class PipelineBench {
  private static final PrintStream OUT = System.out;
  private static final String TOPIC = "kv.changes";
  private static final int WATCH_INTERVAL_MS = 2;
  private static final Duration DRAIN = Duration.ofSeconds(120);

  private final BenchArgs args;
  private final List<Integer> rates;
  private final Duration phase;
  private final JitWarmUp.Settings warmUp;
  private final int warmUpRate;
  private final int keys;
  private final int valueBytes;
  private final int maxInFlight;
  private final double targetP99Ms;
  private final boolean e2e;
  private final Path work;

  private PipelineBench(BenchArgs a) {
    this.args = a;
    this.rates = a.integers("rates", "500,1000,2000,3000");
    this.phase = a.seconds("seconds", 20);
    this.warmUp = JitWarmUp.Settings.from(a, 30);
    this.warmUpRate = a.integer("warmup-rate", 1000);
    this.keys = a.integer("keys", 10_000);
    this.valueBytes = a.integer("value-bytes", 100);
    // Each write in flight holds an HTTP/1.1 connection: beyond a few hundred the proxy's accept queue overflows.
    this.maxInFlight = a.integer("max-in-flight", 256);
    this.targetP99Ms = a.integer("target-p99-ms", 25);
    // The poller queries MySQL every 2 ms from this JVM: --e2e false measures acks without its CPU on the box.
    this.e2e = Boolean.parseBoolean(a.string("e2e", "true"));
    this.work = Path.of(a.string("work-dir", "target/bench-work")).resolve("pipeline-" + System.currentTimeMillis());
  }

  public static void main(String[] argv) throws Exception {
    BenchArgs a = new BenchArgs(argv);
    PipelineBench bench = new PipelineBench(a);
    JsonReport report = new JsonReport("pipeline");
    bench.run(report);
    Path file = report.write(Path.of(a.string("out", "target/bench")));
    OUT.println("wrote " + file.toAbsolutePath());
    System.exit(0);
  }

  private void run(JsonReport report) throws Exception {
    Files.createDirectories(work);
    report.put("settings", JsonReport.map("rates_per_s", rates, "seconds_per_rate", phase.toSeconds(),
        "warm_up", warmUp.describe(), "warmup_rate", warmUpRate, "keys", keys, "key_bytes", 16,
        "value_bytes", valueBytes, "max_in_flight", maxInFlight, "target_ack_p99_ms", targetP99Ms,
        "load", "open loop (test-support OpenLoop) of PUT /v1/kv/{key} through the proxy, test-support KeepAliveHttp"
            + " (keep-alive sockets, a virtual thread per request)",
        "e2e", e2e ? "ack -> kv_changelog row seen by a poller every " + WATCH_INTERVAL_MS + " ms (upper bound)"
            : "off (--e2e false)"));
    OUT.println("== starting a Kafka broker and a throwaway MySQL-compatible server (durable commits)");
    try (KafkaBroker broker = JvmOptions.startBroker(args, work.resolve("kafka"))) {
      LocalMySqlServer mysql = LocalMySqlServer.launch(true);
      try (MySqlDatabase db = MySqlDatabase.create(mysql, "benchpipe")) {
        createTopics(broker.bootstrapServers());
        KvStack.Options options = KvStack.Options.from(args).withMetrics().withNodeArgs("--kafka-bootstrap",
            broker.bootstrapServers(), "--topic", TOPIC);
        report.put("kvpipe", options.describe());
        report.put("broker_jvm", String.join(" ", JvmOptions.broker(args)));
        report.put("mysql", mysql.description());
        report.put("mysql_settings", db.serverSettings());
        try (KvStack stack = KvStack.start(work.resolve("kvpipe"), options, OUT);
             JavaProcess consumer = startConsumer(broker.bootstrapServers(), db);
             ChangelogWatcher watcher = e2e ? new ChangelogWatcher(db.jdbcUrl(), db.user(), db.password(),
                 WATCH_INTERVAL_MS) : null) {
          Map<String, Long> pids = new LinkedHashMap<>(stack.pids());
          pids.put("kafka", broker.pid());
          pids.put("consumer", consumer.pid());
          pids.put("mysql", mysql.pid());
          pids.put("bench", ProcessHandle.current().pid());
          Writer writer = new Writer(stack, watcher, consumer);
          // The kv-nodes' and the proxy's JIT decide when it ends (the consumer and the broker are not watched).
          OUT.printf("== warm-up at %,d writes/s (JITs, connections, consumer group join)%n", warmUpRate);
          report.put("warm_up", JitWarmUp.run(warmUp, stack.jitJvms(), window -> {
            Map<String, Object> w = writer.phase(warmUpRate, window, pids);
            OUT.printf("   warm-up window: ack p99 %s ms, e2e p99 %s ms%n", w.get("ack_p99_ms"),
                dash(w.get("e2e_p99_ms")));
          }, OUT));
          List<Object> results = new ArrayList<>();
          Integer best = null;
          Map<String, Object> at2000 = null;
          for (int rate : rates) {
            OUT.printf("== %,d writes/s for %d s%n", rate, phase.toSeconds());
            Map<String, Object> r = writer.phase(rate, phase, pids);
            results.add(r);
            boolean under = (double) r.get("ack_p99_ms") < targetP99Ms && (long) r.get("errors") == 0
                && (long) r.get("skipped") == 0;
            r.put("ack_p99_under_target_without_errors", under);
            if (under && (best == null || rate > best)) {
              best = rate;
            }
            if (rate == 2000) {
              at2000 = r;
            }
          }
          report.put("rates", results);
          report.put("highest_rate_with_ack_p99_under_target", best);
          printTable(results, best);
          if (at2000 != null) {
            boolean met = (boolean) at2000.get("ack_p99_under_target_without_errors");
            report.put("target_2000_per_s", JsonReport.map("target", "at 2,000 writes/s through the proxy: ack p99 < "
                + targetP99Ms + " ms and 0 errors", "met", met));
            OUT.printf("target at 2,000 writes/s: ack p99 < %.0f ms and 0 errors: %s%n", targetP99Ms,
                met ? "MET" : "MISSED");
          }
        }
      } finally {
        mysql.stop();
      }
    }
  }

  private static void createTopics(String bootstrap) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1), new NewTopic(TOPIC + ".dlq", 3, (short) 1)))
          .all().get(60, TimeUnit.SECONDS);
    }
  }

  private JavaProcess startConsumer(String bootstrap, MySqlDatabase db) {
    JavaProcess c = JavaProcess.builder("io.kvpipe.consumer.ConsumerMain")
        .jvmArgs(KvStack.split(args.string("consumer-jvm", KvStack.shippedJvm("cdc-consumer"))).toArray(String[]::new))
        .args("--kafka-bootstrap", bootstrap, "--topic", TOPIC, "--dlq-topic", TOPIC + ".dlq",
            "--group-id", "kvpipe-archive-bench", "--jdbc-url", db.jdbcUrl(), "--jdbc-user", db.user(),
            "--jdbc-password", db.password(), "--metrics-port", "0")
        .logFile(work.resolve("consumer.log")).build().start();
    OUT.printf("   cdc-consumer pid %d (log %s)%n", c.pid(), work.resolve("consumer.log"));
    return c;
  }

  /**
   * Writes at a rate and times each write's ack and its row's arrival in kv_changelog; per shard group, what the phase
   * cost its nodes and where a write's time went inside them ({@link NodeProbe}: the leader's client_write, log syncs,
   * the followers' appends, apply), so an ack's latency can be split between the proxy and the Raft group.
   */
  private final class Writer {
    private final KvHttp data;
    /** The shard groups, and which of them owns each key the writes cycle through (looked up once, not per write). */
    private final List<String> groups;
    private final int[] groupOfKey;
    private final Map<String, NodeProbe> probes = new LinkedHashMap<>();
    private final ChangelogWatcher watcher;
    private final JavaProcess consumer;
    private final byte[] value = KvShape.value(valueBytes);
    private long seq;

    Writer(KvStack stack, ChangelogWatcher watcher, JavaProcess consumer) {
      this.data = stack.data();
      this.groups = List.copyOf(stack.groups());
      this.groupOfKey = new int[keys];
      HashRing ring = stack.ring();
      for (int k = 0; k < keys; k++) {
        groupOfKey[k] = groups.indexOf(ring.groupFor(KvShape.key(k).getBytes(StandardCharsets.UTF_8)));
      }
      for (String group : groups) {
        probes.put(group, new NodeProbe(stack.nodes(), group));
      }
      this.watcher = watcher;
      this.consumer = consumer;
    }

    Map<String, Object> phase(int rate, Duration d, Map<String, Long> pids) throws InterruptedException {
      int capacity = (int) Math.min(Integer.MAX_VALUE - 16, (long) rate * d.toSeconds() + 1000);
      LatencyRecorder ack = new LatencyRecorder(capacity);
      VisibilityTracker tracker = watcher == null ? null : new VisibilityTracker(capacity);
      Set<String> errorSamples = ConcurrentHashMap.newKeySet();
      if (watcher != null) {
        watcher.reportTo(tracker);
      }
      long base = seq;
      Map<String, NodeProbe.Snapshot> groupsBefore = new LinkedHashMap<>();
      probes.forEach((group, probe) -> groupsBefore.put(group, probe.snapshot()));
      LongAdder[] issuedByGroup = new LongAdder[groups.size()];
      Arrays.setAll(issuedByGroup, g -> new LongAdder());
      ProcessCpu.Sample before = ProcessCpu.Sample.of(pids);
      OpenLoop.Result r = new OpenLoop("writes at " + rate + "/s", rate, d, maxInFlight, n -> {
        int k = (int) ((base + n) % keys);
        issuedByGroup[groupOfKey[k]].increment();
        return write(KvShape.key(k), ack, tracker, errorSamples);
      }, OUT).run();
      Map<String, Object> cpu = ProcessCpu.Sample.of(pids).since(before);
      Map<String, Object> byGroup = new LinkedHashMap<>();
      for (int g = 0; g < groups.size(); g++) {
        String group = groups.get(g);
        NodeProbe.Result cost = probes.get(group).since(groupsBefore.get(group), issuedByGroup[g].sum());
        byGroup.put(group, cost.figures());
        OUT.printf("   %s (writes issued to it as ops):%n%s%n", group, cost.summary());
      }
      seq = base + r.issued();
      long drainStart = System.nanoTime();
      if (watcher != null) {
        drain(tracker);
      }
      double drainSeconds = (System.nanoTime() - drainStart) / 1e9;
      LatencyRecorder.Percentiles a = ack.percentiles();
      LatencyRecorder.Percentiles e = tracker == null ? null : tracker.latency().percentiles();
      OUT.printf("   %,d/s asked, %,.0f/s acknowledged: ack p50 %.2f ms, p99 %.2f ms, p999 %.2f ms; %d errors, %d skipped; "
              + "%sCPU %s%% of a core in all%n", rate, r.achievedPerSecond(), a.p50(), a.p99(), a.p999(), r.errors(),
          r.skipped(), e == null ? "" : String.format("e2e p50 %.1f ms, p99 %.1f ms; ", e.p50(), e.p99()),
          cpu.get("total") instanceof Map<?, ?> m ? m.get("core_pct") : "?");
      if (!errorSamples.isEmpty()) {
        OUT.println("   first errors: " + errorSamples);
      }
      Map<String, Object> out = JsonReport.map("target_writes_per_s", rate, "seconds", ProcessCpu.round(2, r.seconds()),
          "achieved_writes_per_s", Math.round(r.achievedPerSecond()), "ok", r.ok(), "errors", r.errors(),
          "skipped", r.skipped(), "ack_p50_ms", ProcessCpu.round(3, a.p50()), "ack_p99_ms",
          ProcessCpu.round(3, a.p99()), "ack_p999_ms", ProcessCpu.round(3, a.p999()), "ack_max_ms",
          ProcessCpu.round(3, a.max()), "cpu", cpu, "groups", byGroup, "error_samples", List.copyOf(errorSamples));
      if (tracker != null) {
        out.putAll(JsonReport.map("e2e_matched", tracker.matched(), "e2e_not_visible", tracker.pending(),
            "e2e_p50_ms", ProcessCpu.round(2, e.p50()), "e2e_p99_ms", ProcessCpu.round(2, e.p99()), "e2e_p999_ms",
            ProcessCpu.round(2, e.p999()), "e2e_max_ms", ProcessCpu.round(2, e.max()), "drain_seconds",
            ProcessCpu.round(2, drainSeconds)));
      }
      return out;
    }

    /** Waits until every acknowledged write of the phase is in kv_changelog, so the next rate starts drained. */
    private void drain(VisibilityTracker tracker) {
      OUT.printf("   waiting until every acknowledged write is in kv_changelog (%,d not yet)%n", tracker.pending());
      try {
        Poll.until("every acknowledged write in kv_changelog", DRAIN, Duration.ofMillis(50), () -> {
          watcher.check();
          if (!consumer.isAlive()) {
            throw new Poll.Abort("the cdc-consumer exited:\n" + consumer.logTail(40));
          }
          return tracker.pending() == 0;
        });
      } catch (AssertionError timedOut) {
        // Reported (printed, and e2e_not_visible in the JSON), and the next rate runs: a missing row is a finding.
        OUT.printf("   !! %,d acknowledged writes not in kv_changelog after %d s%n", tracker.pending(),
            DRAIN.toSeconds());
      }
    }

    private CompletableFuture<?> write(String key, LatencyRecorder ack, VisibilityTracker tracker,
                                       Set<String> errorSamples) {
      long t0 = System.nanoTime();
      return data.putAsync(key, value).handle((resp, e) -> {
        WriteErrors.check(resp, e, errorSamples);
        long now = System.nanoTime();
        ack.record(now - t0);
        if (tracker != null) {
          tracker.acked(key, resp.version(), now);
        }
        return resp;
      });
    }
  }

  private static Object dash(Object v) {
    return v == null ? "-" : v;
  }

  private void printTable(List<Object> results, Integer best) {
    OUT.println();
    OUT.println("asked/s  acked/s  ack p50  ack p99  ack p999  errors  skipped | e2e p50  e2e p99  e2e p999 (ms)");
    for (Object o : results) {
      Map<?, ?> r = (Map<?, ?>) o;
      OUT.printf("%7s  %7s  %7s  %7s  %8s  %6s  %7s | %7s  %7s  %8s%n", r.get("target_writes_per_s"),
          r.get("achieved_writes_per_s"), r.get("ack_p50_ms"), r.get("ack_p99_ms"), r.get("ack_p999_ms"),
          r.get("errors"), r.get("skipped"), dash(r.get("e2e_p50_ms")), dash(r.get("e2e_p99_ms")),
          dash(r.get("e2e_p999_ms")));
    }
    OUT.printf("highest rate with ack p99 < %.0f ms, no errors, none skipped: %s%n", targetP99Ms,
        best == null ? "none of the rates tried" : String.format("%,d writes/s", best));
  }
}
