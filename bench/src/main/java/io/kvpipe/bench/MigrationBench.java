package io.kvpipe.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.testsupport.bench.JsonReport;
import io.kvpipe.testsupport.bench.LatencyRecorder;
import io.kvpipe.testsupport.bench.OpenLoop;
import io.kvpipe.testsupport.bench.ProcessCpu;
import io.kvpipe.testsupport.load.KvHttp;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Online migration benchmark: 3 kv-node processes (meta, g1, g2) and one proxy process; N keys bulk-loaded straight
 * into g1 and g2 by ring ownership; an open-loop background write load through the proxy; client latency measured
 * before and while g3 is added ({@code POST /api/cluster/groups}), the migration followed to its end. Reports keys
 * moved, copy rate, client p50/p99 before vs during, errors and duration.
 */
public final class MigrationBench {
  private static final PrintStream OUT = System.out;
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Slice of the background load while the migration runs: the migration's end is checked between slices. */
  private static final Duration SLICE = Duration.ofSeconds(2);
  private static final int MAX_IN_FLIGHT = 256;

  private final long keys;
  private final int valueBytes;
  private final int backgroundRate;
  private final int batchSize;
  private final int loadBatch;
  private final long throttle;
  private final Duration before;
  private final Path work;
  private final Path out;
  private final KvStack.Options options;
  private final JitWarmUp.Settings warmUp;
  /** Share of the cores busy over the "before" phase at and above which the box counts as saturated. */
  private static final double SATURATED = 0.9;

  private MigrationBench(BenchArgs a) {
    this.keys = a.integer("keys", 1_000_000);
    this.valueBytes = a.integer("value-bytes", 100);
    this.backgroundRate = a.integer("background-rate", 1000);
    this.batchSize = a.integer("batch-size", 10_000);
    this.loadBatch = a.integer("load-batch", 1000);
    this.throttle = a.integer("throttle", 0);
    this.before = a.seconds("before-seconds", 10);
    this.work = Path.of(a.string("work-dir", "target/bench-work"));
    this.out = Path.of(a.string("out", "target/bench"));
    this.options = KvStack.Options.from(a).withProxyArgs("--request-timeout-ms", "20000").withMetrics();
    this.warmUp = JitWarmUp.Settings.from(a, 20);
  }

  public static void main(String[] args) throws Exception {
    MigrationBench bench = new MigrationBench(new BenchArgs(args));
    JsonReport report = new JsonReport("migration").put("settings", JsonReport.map("keys", bench.keys,
        "value_bytes", bench.valueBytes, "background_writes_per_s", bench.backgroundRate,
        "migration_batch_size", bench.batchSize, "load_batch_size", bench.loadBatch,
        "throttle_keys_per_s", bench.throttle, "before_seconds", bench.before.toSeconds(), "replicas", 3,
        "fsync", true));
    bench.run(report);
    Path file = report.write(bench.out);
    OUT.println("wrote " + file.toAbsolutePath());
    System.exit(0);
  }

  private void run(JsonReport report) throws Exception {
    Path dir = Files.createDirectories(work).resolve("migration-" + System.currentTimeMillis());
    try (KvStack stack = KvStack.start(dir, options, OUT)) {
      measure(report, stack);
    }
  }

  private void measure(JsonReport report, KvStack stack) throws Exception {
    HashRing ring = stack.ring();
    Map<String, ShardGroupClient> groups = stack.clients();
    String peers = stack.peers();
    KvHttp admin = stack.admin();
    KvHttp data = stack.data();
    byte[] value = new byte[valueBytes];
    ThreadLocalRandom.current().nextBytes(value);
    OUT.printf("== bulk load: %,d keys of %d bytes into g1, g2 (PutAll batches of %d)%n", keys, valueBytes,
        loadBatch);
    double loadRate = new BulkLoader(ring, groups, loadBatch, OUT).load(keys, value);
    report.put("bulk_load_keys_per_s", Math.round(loadRate));

    Background bg = new Background(data, value);
    // The target's "before" is a box that is not saturated: right after the bulk load the JVMs are still compiling
    // (C2 was ~27% of a kv-node's CPU over a run without this), so the background load runs until their JIT settles.
    bg.phase();
    report.put("warm_up", JitWarmUp.run(warmUp, stack.jitJvms(), bg::loop, OUT));
    OUT.printf("== background writes at %,d/s through the proxy: %d s before the migration%n", backgroundRate,
        before.toSeconds());
    LatencyRecorder beforeLat = bg.phase();
    double busyFrom = ProcessCpu.boxBusySeconds();
    long wallFrom = System.nanoTime();
    OpenLoop.Result beforeRun = bg.loop(before);
    double busyBefore = (ProcessCpu.boxBusySeconds() - busyFrom) / ((System.nanoTime() - wallFrom) / 1e9)
        / Runtime.getRuntime().availableProcessors();
    LatencyRecorder.Percentiles pb = beforeLat.percentiles();
    OUT.printf("  before: p50 %.1f ms, p99 %.1f ms (%,d writes, %d errors, %d skipped)%n", pb.p50(), pb.p99(),
        pb.samples(), bg.errors.get(), beforeRun.skipped());
    long errorsBefore = bg.errors.get();

    ObjectNode body = JSON.createObjectNode().put("id", "g3").put("throttleKeysPerSecond", throttle)
        .put("batchSize", batchSize);
    for (String p : peers.split(",")) {
      body.withArray("peers").add(p);
    }
    // The target asks for a box that is not saturated when the migration starts: say what it was, as the share of
    // the cores busy over the "before" phase (the load average also counts threads blocked in fsync).
    int cores = Runtime.getRuntime().availableProcessors();
    double loadBefore = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    boolean saturated = busyBefore >= SATURATED;
    OUT.printf("== before the migration the box was %.0f%% busy on %d cores, load average %.2f (%s)%n",
        100 * busyBefore, cores, loadBefore, saturated ? "SATURATED: figures are indicative only" : "not saturated");
    report.put("box_before_migration", JsonReport.map("cpu_busy_fraction", ProcessCpu.round(3, busyBefore),
        "load_average_1m", loadBefore, "cores", cores, "saturated", saturated,
        "saturated_means", "cpu_busy_fraction >= " + SATURATED));
    LatencyRecorder duringLat = bg.phase();
    long t0 = System.nanoTime();
    JsonNode started = call(admin, "POST", "/api/cluster/groups", body.toString(), 202).path("migration");
    String id = started.path("id").asText();
    OUT.printf("== add g3: migration %s started%n", id);
    AtomicReference<JsonNode> last = new AtomicReference<>(started);
    Map<String, Double> phaseStarts = new java.util.concurrent.ConcurrentHashMap<>();
    AtomicReference<Double> finishedAt = new AtomicReference<>();
    // The progress poller runs on its own so slow background writes never delay it.
    Thread poller = Thread.ofPlatform().name("migration-poller").daemon().start(() -> {
      while (finishedAt.get() == null) {
        try {
          JsonNode v = call(admin, "GET", "/api/migrations/" + id, null, 200);
          last.set(v);
          double at = (System.nanoTime() - t0) / 1e9;
          if (phaseStarts.putIfAbsent(v.path("phase").asText(), at) == null) {
            bg.enterPhase(v.path("phase").asText());
          }
          OUT.printf("  %5.1fs %-10s %,d / %,d keys copied, %,.0f keys/s, eta %s s%n", at, v.path("phase").asText(),
              v.path("keysCopied").asLong(), v.path("keysTotal").asLong(), v.path("keysPerSecond").asDouble(),
              v.path("etaSeconds").asText("?"));
          if (finished(v)) {
            finishedAt.set(at);
            return;
          }
          Thread.sleep(1000); // the progress print interval
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          OUT.println("  (progress poll failed: " + e.getMessage() + ")");
        }
      }
    });
    long skipped = 0;
    while (finishedAt.get() == null) {
      skipped += bg.loop(SLICE).skipped();
      if ((System.nanoTime() - t0) / 1e9 > 3600) {
        throw new IllegalStateException("the migration did not finish within an hour: " + last.get());
      }
    }
    poller.join();
    double seconds = finishedAt.get();
    JsonNode done = last.get();
    LatencyRecorder.Percentiles pd = duringLat.percentiles();
    long errorsDuring = bg.errors.get() - errorsBefore;
    long moved = done.path("keysCopied").asLong();
    double copySeconds = copySeconds(phaseStarts, seconds);
    Map<String, Long> records = new LinkedHashMap<>();
    Map<String, String> raftGroups = new LinkedHashMap<>();
    call(admin, "GET", "/api/topology/shards", null, 200).path("shards")
        .forEach(n -> raftGroups.put(n.path("id").asText(), n.path("raftGroup").asText(n.path("id").asText())));
    for (String g : List.of("g1", "g2", "g3")) {
      try (ShardGroupClient c = ShardGroupClient.connect(raftGroups.getOrDefault(g, g), PeerAddress.parseList(peers),
          stack.nodes().tls().raftTls())) {
        records.put(g, c.status().records());
      }
    }
    OUT.printf("%n== migration %s %s in %.1f s: %,d keys moved (%.1f%% of %,d), copy %,.0f keys/s%n", id,
        done.path("phase").asText(), seconds, moved, 100.0 * moved / keys, keys, moved / copySeconds);
    OUT.printf("   client writes: before p50 %.1f ms p99 %.1f ms; during p50 %.1f ms p99 %.1f ms; errors %d before,"
        + " %d during; skipped at in-flight cap %d%n", pb.p50(), pb.p99(), pd.p50(), pd.p99(), errorsBefore,
        errorsDuring, skipped);
    OUT.printf("   client writes by migration phase (started in it): %s%n", bg.byPhase());
    OUT.printf("   records per group after: %s%n", records);
    if (!bg.errorSamples.isEmpty()) {
      OUT.println("   first errors: " + bg.errorSamples);
    }
    report.put("migration", JsonReport.map("id", id, "final_phase", done.path("phase").asText(),
        "error", done.path("error").isNull() ? null : done.path("error").asText(),
        "duration_s", round(seconds), "keys_moved", moved, "keys_total", done.path("keysTotal").asLong(),
        "moved_fraction", round((double) moved / keys), "copy_seconds", round(copySeconds),
        "copy_keys_per_s", Math.round(moved / copySeconds), "phase_started_at_s", phaseStarts,
        "records_per_group_after", records));
    report.put("client", JsonReport.map(
        "before", JsonReport.map("writes", pb.samples(), "p50_ms", pb.p50(), "p99_ms", pb.p99(),
            "p999_ms", pb.p999(), "max_ms", pb.max(), "errors", errorsBefore),
        "during", JsonReport.map("writes", pd.samples(), "p50_ms", pd.p50(), "p99_ms", pd.p99(),
            "p999_ms", pd.p999(), "max_ms", pd.max(), "errors", errorsDuring, "skipped", skipped),
        "during_by_phase", bg.byPhase(),
        "p99_during_vs_before", ProcessCpu.round(2, pd.p99() / pb.p99()),
        "error_samples", List.copyOf(bg.errorSamples)));
    if (!done.path("phase").asText().equals("done")) {
      OUT.println("!! the migration did not complete: " + done);
    }
  }

  /** From the first copying poll to the first poll past it; the whole duration if the phases were not seen. */
  private static double copySeconds(Map<String, Double> phaseStarts, double total) {
    Double from = phaseStarts.get("copying");
    if (from == null) {
      return total;
    }
    double to = total;
    for (String p : List.of("purging", "finishing", "done")) {
      if (phaseStarts.containsKey(p)) {
        to = Math.min(to, phaseStarts.get(p));
      }
    }
    return Math.max(to - from, 0.001);
  }

  private static boolean finished(JsonNode v) {
    String p = v.path("phase").asText();
    return p.equals("done") || p.equals("failed") || p.equals("cancelled");
  }

  private static double round(double d) {
    return Math.round(d * 1000) / 1000.0;
  }

  private static JsonNode call(KvHttp http, String method, String path, String body, int expect) throws Exception {
    KvHttp.Response r = http.json(method, path, body);
    if (r.status() != expect) {
      throw new IllegalStateException(method + " " + path + " -> " + r.status() + ": " + r.bodyText());
    }
    return JSON.readTree(r.body());
  }

  /** The open-loop background writes: overwrites of loaded keys, timed into the current phase's recorder. */
  private final class Background {
    private final KvHttp data;
    private final byte[] value;
    private final AtomicReference<LatencyRecorder> recorder = new AtomicReference<>();
    private final AtomicReference<LatencyRecorder> migrationPhase = new AtomicReference<>();
    private final Map<String, LatencyRecorder> phases = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong seq = new AtomicLong();
    /** The first few distinct errors, so a report says why writes failed. */
    private final java.util.Set<String> errorSamples = java.util.concurrent.ConcurrentHashMap.newKeySet();

    Background(KvHttp data, byte[] value) {
      this.data = data;
      this.value = value;
    }

    LatencyRecorder phase() {
      LatencyRecorder r = new LatencyRecorder(Math.max(1000, backgroundRate * 3600));
      recorder.set(r);
      migrationPhase.set(null);
      return r;
    }

    /** From now on writes are also timed into the named migration phase's own recorder. */
    void enterPhase(String name) {
      LatencyRecorder r = new LatencyRecorder(Math.max(1000, backgroundRate * 600));
      phases.put(name, r);
      migrationPhase.set(r);
    }

    /** Per migration phase: writes started in it, p50/p99/max (ms). */
    Map<String, Object> byPhase() {
      Map<String, Object> out = new LinkedHashMap<>();
      phases.forEach((name, r) -> {
        LatencyRecorder.Percentiles p = r.percentiles();
        out.put(name, JsonReport.map("writes", p.samples(), "p50_ms", ProcessCpu.round(1, p.p50()),
            "p99_ms", ProcessCpu.round(1, p.p99()), "max_ms", ProcessCpu.round(1, p.max())));
      });
      return out;
    }

    OpenLoop.Result loop(Duration d) throws InterruptedException {
      PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream());
      // Each request in flight holds an HTTP/1.1 connection: a cap in the hundreds keeps an overloaded proxy from
      // being flooded with connections (its accept queue overflows), and reports the overload as skipped writes.
      return new OpenLoop("background writes", backgroundRate, d, MAX_IN_FLIGHT, n -> write(), quiet).run();
    }

    private CompletableFuture<?> write() {
      String key = BulkLoader.key(Math.floorMod(seq.getAndIncrement() * 7919L, keys));
      LatencyRecorder r = recorder.get();
      LatencyRecorder inPhase = migrationPhase.get();
      long t = System.nanoTime();
      return data.putAsync(key, value).handle((resp, e) -> {
        if (e != null || !resp.ok()) {
          errors.incrementAndGet();
          String why = e != null ? e.toString() : resp.status() + " " + resp.bodyText();
          if (errorSamples.size() < 5) {
            errorSamples.add(why.length() > 300 ? why.substring(0, 300) : why);
          }
          throw new IllegalStateException(why);
        }
        long took = System.nanoTime() - t;
        r.record(took);
        if (inPhase != null) {
          inPhase.record(took);
        }
        return resp;
      });
    }
  }
}
