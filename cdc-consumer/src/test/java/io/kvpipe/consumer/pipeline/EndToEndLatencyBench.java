package io.kvpipe.consumer.pipeline;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.bench.ChangelogWatcher;
import io.kvpipe.testsupport.bench.JsonReport;
import io.kvpipe.testsupport.bench.LatencyRecorder;
import io.kvpipe.testsupport.bench.OpenLoop;
import io.kvpipe.testsupport.bench.VisibilityTracker;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlServer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The archive benchmark's end-to-end phase: write acknowledged → row visible in kv_changelog, at a fixed write rate.
 * Starts the whole pipeline (3 kv-node processes with CDC on, the consumer in this JVM, a fresh database), writes with
 * the shared {@link OpenLoop} driver through kv-client, records each acknowledgement by (key, version), and a
 * {@link ChangelogWatcher} polls the table every 2 ms for new rows. A warm-up phase (not counted) first lets the
 * consumer join its group and the JITs settle. Latencies are upper bounds by up to one poll interval plus one query.
 */
public final class EndToEndLatencyBench {
  private static final Duration START = Duration.ofSeconds(120);
  private static final int KEYS = 10_000;
  private static final int WATCH_INTERVAL_MS = 2;

  private final String bootstrap;
  private final MySqlServer server;
  private final Path workDir;
  private final int rate;
  private final int seconds;
  private final int valueBytes;
  private final PrintStream out;

  public EndToEndLatencyBench(String bootstrap, MySqlServer server, Path workDir, int rate, int seconds,
                              int valueBytes, PrintStream out) {
    this.bootstrap = bootstrap;
    this.server = server;
    this.workDir = workDir;
    this.rate = rate;
    this.seconds = seconds;
    this.valueBytes = valueBytes;
    this.out = out;
  }

  /** Runs the phase; returns its figures for the JSON report. */
  public Map<String, Object> run() throws Exception {
    String topic = "kv.changes.e2e." + System.currentTimeMillis();
    out.println("end-to-end: starting 3 kv-nodes (CDC on, topic " + topic + ") and the consumer ...");
    List<String> nodeJvm = List.of("-Xmx512m", "-XX:+UseParallelGC", "--enable-native-access=ALL-UNNAMED");
    try (MySqlDatabase db = MySqlDatabase.create(server, "benche2e");
         PipelineStack stack = PipelineStack.start(workDir, bootstrap, db, topic, nodeJvm, START);
         ChangelogWatcher watcher = new ChangelogWatcher(db.jdbcUrl(), db.user(), db.password(), WATCH_INTERVAL_MS)) {
      int warmupSeconds = Math.max(3, seconds / 3);
      Phase warmup = phase(stack, watcher, "e2e-warmup", warmupSeconds, 0);
      out.printf("end-to-end: warm-up done (%d writes visible), measuring %d s at %,d writes/s%n",
          warmup.tracker.matched(), seconds, rate);
      Phase measured = phase(stack, watcher, "e2e", seconds, 1L << 40);
      LatencyRecorder.Percentiles e2e = measured.tracker.latency().percentiles();
      LatencyRecorder.Percentiles ack = measured.ackLatency.percentiles();
      out.printf("end-to-end latency (ack -> row visible) at %,d writes/s target, %,.0f/s achieved: p50 %.1f ms, "
              + "p99 %.1f ms, p999 %.1f ms, max %.1f ms over %,d writes (target p99 < 100 ms) %s%n", rate,
          measured.load.achievedPerSecond(), e2e.p50(), e2e.p99(), e2e.p999(), e2e.max(), e2e.samples(),
          e2e.p99() < 100 ? "OK" : "ABOVE TARGET");
      out.printf("write ack latency meanwhile: p50 %.1f ms, p99 %.1f ms; %,d errors, %,d skipped (in-flight cap %d); "
              + "%,d rows seen before their ack was handled (counted as 0 ms)%n", ack.p50(), ack.p99(),
          measured.load.errors(), measured.load.skipped(), maxInFlight(), measured.tracker.seenBeforeAck());
      return JsonReport.map("target_writes_per_s", rate, "seconds", seconds,
          "achieved_writes_per_s", round(measured.load.achievedPerSecond()), "writes", measured.load.ok(),
          "errors", measured.load.errors(), "skipped", measured.load.skipped(), "max_in_flight", maxInFlight(),
          "seen_before_ack", measured.tracker.seenBeforeAck(), "value_bytes", valueBytes,
          "keys", KEYS, "p50_ms", round(e2e.p50()), "p99_ms", round(e2e.p99()), "p999_ms", round(e2e.p999()),
          "max_ms", round(e2e.max()), "target_p99_ms", 100, "ack_p50_ms", round(ack.p50()),
          "ack_p99_ms", round(ack.p99()), "watch_interval_ms", WATCH_INTERVAL_MS,
          "note", "ack of a kv-client put -> its kv_changelog row seen by a poller; upper bound by one poll");
    }
  }

  private record Phase(OpenLoop.Result load, VisibilityTracker tracker, LatencyRecorder ackLatency) {}

  /** One open-loop run whose writes are all tracked until visible. */
  private Phase phase(PipelineStack stack, ChangelogWatcher watcher, String name, int phaseSeconds, long seqBase)
      throws InterruptedException {
    int capacity = rate * phaseSeconds + 1000;
    VisibilityTracker tracker = new VisibilityTracker(capacity);
    LatencyRecorder ackLatency = new LatencyRecorder(capacity);
    watcher.reportTo(tracker);
    ShardGroupClient client = stack.client();
    SplittableRandom seeds = new SplittableRandom(seqBase + 7);
    byte[] value = new byte[valueBytes];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) ('a' + seeds.nextInt(26));
    }
    Thread progress = Thread.ofPlatform().name("e2e-progress").daemon().start(() -> {
      long last = 0;
      while (!Thread.currentThread().isInterrupted()) {
        try {
          TimeUnit.SECONDS.sleep(1); // progress printing cadence, not synchronisation
        } catch (InterruptedException e) {
          return;
        }
        long m = tracker.matched();
        out.printf("  %s: %,d rows visible (+%,d/s), %,d acked writes not yet visible%n", name, m, m - last,
            tracker.pending());
        last = m;
      }
    });
    try {
      OpenLoop.Result load = new OpenLoop(name, rate, Duration.ofSeconds(phaseSeconds), maxInFlight(),
          seq -> {
            String key = "e2e:" + ((seqBase + seq) % KEYS);
            long t0 = System.nanoTime();
            CompletableFuture<?> f = client.putAsync(key, value).thenAccept(w -> {
              long now = System.nanoTime();
              ackLatency.record(now - t0);
              tracker.acked(key, w.version(), now);
            });
            return f;
          }, out).run();
      Poll.until(name + ": every acknowledged write visible in kv_changelog", Duration.ofSeconds(120),
          Duration.ofMillis(50), () -> {
            watcher.check();
            stack.checkArchiveRunning();
            return tracker.pending() == 0;
          });
      return new Phase(load, tracker, ackLatency);
    } finally {
      progress.interrupt();
      progress.join();
    }
  }

  /**
   * 100 ms worth of writes: past the latency target anyway, and far more in flight only piles retries onto the Raft
   * client (its replies come in order, so one slow request holds back every later one).
   */
  private int maxInFlight() {
    return Math.max(64, rate / 10);
  }

  private static double round(double d) {
    return Math.round(d * 100) / 100.0;
  }
}
