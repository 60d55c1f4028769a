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
    this.options = KvStack.Options.from(a).withProxyArgs("--request-timeout-ms", "20000");
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
    OUT.printf("== background writes at %,d/s through the proxy: %d s before the migration%n", backgroundRate,
        before.toSeconds());
    LatencyRecorder beforeLat = bg.phase();
    OpenLoop.Result beforeRun = bg.loop(before);
    LatencyRecorder.Percentiles pb = beforeLat.percentiles();
    OUT.printf("  before: p50 %.1f ms, p99 %.1f ms (%,d writes, %d errors, %d skipped)%n", pb.p50(), pb.p99(),
        pb.samples(), bg.errors.get(), beforeRun.skipped());
    long errorsBefore = bg.errors.get();

    ObjectNode body = JSON.createObjectNode().put("id", "g3").put("throttleKeysPerSecond", throttle)
        .put("batchSize", batchSize);
    for (String p : peers.split(",")) {
      body.withArray("peers").add(p);
    }
    // The target asks for a box that is not saturated when the migration starts: say what it was.
    int cores = Runtime.getRuntime().availableProcessors();
    double loadBefore = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    boolean saturated = loadBefore >= cores;
    OUT.printf("== load average before the migration: %.2f on %d cores (%s)%n", loadBefore, cores,
        saturated ? "SATURATED: figures are indicative only" : "not saturated");
    report.put("box_before_migration", JsonReport.map("load_average_1m", loadBefore, "cores", cores,
        "saturated", saturated));
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
          phaseStarts.putIfAbsent(v.path("phase").asText(), at);
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
      return r;
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
        r.record(System.nanoTime() - t);
        return resp;
      });
    }
  }
}
