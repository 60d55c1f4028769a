package io.kvpipe.bench;

import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.bench.JsonReport;
import io.kvpipe.testsupport.bench.LatencyRecorder;
import io.kvpipe.testsupport.bench.OpenLoop;
import io.kvpipe.testsupport.bench.ProcessCpu;
import io.kvpipe.testsupport.bench.VisibilityTracker;
import io.kvpipe.testsupport.kafka.KafkaBroker;
import io.kvpipe.testsupport.watch.ResumingWatcher;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * Change fan-out of {@code GET /v1/watch} (issue 14): 3 kv-nodes with CDC on, a Kafka broker, a proxy reading the
 * change topic, and {@code --watchers} SSE watchers (java.net.http, in this JVM). Per fan-out F, the watchers are
 * split into 1000/F prefixes, F watchers per prefix, and writes through the proxy (open loop at {@code --rate}) go
 * round-robin over the prefixes, so each acknowledged write must reach F watchers. Reports per F the notify latency
 * from the write's acknowledgement (at the writer) to its event at each watcher: p50/p99/p999/max, events delivered,
 * events missing after a drain, and each process's CPU; and as a baseline, ack → readable in Kafka for a plain
 * consumer in this JVM (what the proxy's feed and fan-out add is the difference).
 */
public final class WatchBench {
  private static final PrintStream OUT = System.out;
  private static final String TOPIC = "kv.changes";
  private static final Duration DRAIN = Duration.ofSeconds(60);

  private final BenchArgs args;
  private final int watchers;
  private final int rate;
  private final List<Integer> fanouts;
  private final Duration phase;
  private final Duration warmUp;
  private final int valueBytes;
  private final Path work;

  private WatchBench(BenchArgs a) {
    this.args = a;
    this.watchers = a.integer("watchers", 1000);
    this.rate = a.integer("rate", 1000);
    this.fanouts = a.integers("fanout", "1,10");
    this.phase = a.seconds("seconds", 20);
    this.warmUp = a.seconds("warmup-seconds", 15);
    this.valueBytes = a.integer("value-bytes", 100);
    this.work = Path.of(a.string("work-dir", "target/bench-work")).resolve("watch-" + System.currentTimeMillis());
  }

  public static void main(String[] argv) throws Exception {
    BenchArgs a = new BenchArgs(argv);
    JsonReport report = new JsonReport("watch");
    new WatchBench(a).run(report);
    Path file = report.write(Path.of(a.string("out", "target/bench")));
    OUT.println("wrote " + file.toAbsolutePath());
    System.exit(0);
  }

  private void run(JsonReport report) throws Exception {
    Files.createDirectories(work);
    report.put("settings", JsonReport.map("watchers", watchers, "writes_per_s", rate, "fanouts", fanouts,
        "seconds_per_fanout", phase.toSeconds(), "warmup_seconds", warmUp.toSeconds(), "value_bytes", valueBytes,
        "load", "open loop (test-support OpenLoop) of PUT /v1/kv/{key} through the proxy, round-robin over the "
            + "watched prefixes", "watchers_client", "java.net.http SSE streams in the bench JVM (test-support "
            + "ResumingWatcher), one HTTP/1.1 connection each",
        "latency", "write ack seen by the writer -> change event read by the watcher; an event read before the "
            + "writer handled its ack counts as 0"));
    OUT.println("== starting a Kafka broker");
    try (KafkaBroker broker = JvmOptions.startBroker(args, work.resolve("kafka"))) {
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
        admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1))).all().get(60, TimeUnit.SECONDS);
      }
      KvStack.Options options = KvStack.Options.from(args)
          .withNodeArgs("--kafka-bootstrap", broker.bootstrapServers(), "--topic", TOPIC)
          .withProxyArgs("--kafka-bootstrap", broker.bootstrapServers(), "--topic", TOPIC,
              "--watch-max-watchers", Integer.toString(watchers + 16));
      report.put("kvpipe", options.describe());
      report.put("broker_jvm", String.join(" ", JvmOptions.broker(args)));
      try (KvStack stack = KvStack.start(work.resolve("kvpipe"), options, OUT)) {
        Map<String, Long> pids = new LinkedHashMap<>(stack.pids());
        pids.put("kafka", broker.pid());
        pids.put("bench", ProcessHandle.current().pid());
        HttpClient http = ResumingWatcher.httpClient();
        DirectReader direct = new DirectReader(broker.bootstrapServers());
        List<Object> results = new ArrayList<>();
        boolean first = true;
        for (int f : fanouts) {
          if (watchers % f != 0) {
            throw new IllegalArgumentException("--fanout " + f + " must divide --watchers " + watchers);
          }
          Phase p = new Phase(stack, http, f, direct);
          try {
            p.subscribe();
            if (first) {
              OUT.printf("== warm-up: %d s at %,d writes/s%n", warmUp.toSeconds(), rate);
              p.run(warmUp, pids);
              first = false;
            }
            OUT.printf("== fan-out %d: %,d watchers on %,d prefixes, %,d writes/s for %d s%n", f, watchers,
                watchers / f, rate, phase.toSeconds());
            results.add(p.run(phase, pids));
          } finally {
            p.close();
          }
        }
        direct.close();
        report.put("fanouts", results);
        OUT.println();
        OUT.println("fan-out  writes/s  events/s  notify p50  p99  p999  max (ms)  missing  reconnects"
            + " | ack->Kafka p50  p99 (ms)");
        for (Object o : results) {
          Map<?, ?> r = (Map<?, ?>) o;
          OUT.printf("%7s  %8s  %8s  %10s  %s  %s  %s  %7s  %s | %s  %s%n", r.get("fanout"),
              r.get("achieved_writes_per_s"), r.get("events_per_s"), r.get("notify_p50_ms"), r.get("notify_p99_ms"),
              r.get("notify_p999_ms"), r.get("notify_max_ms"), r.get("events_missing"), r.get("extra_connections"),
              r.get("kafka_visible_p50_ms"), r.get("kafka_visible_p99_ms"));
        }
      }
    }
  }

  /**
   * The baseline: a plain Kafka consumer of the change topic in this JVM (from its end, committed records), pairing
   * each change with its write's acknowledgement as the watchers do: ack → readable in Kafka. The difference to the
   * watchers' figure is what the proxy's feed and fan-out add.
   */
  private static final class DirectReader implements AutoCloseable {
    private final org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile VisibilityTracker tracker = new VisibilityTracker(16);

    DirectReader(String bootstrap) {
      consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
          "isolation.level", "read_committed", "fetch.max.wait.ms", 50, "enable.auto.commit", false),
          new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
          new org.apache.kafka.common.serialization.ByteArrayDeserializer());
      List<org.apache.kafka.common.TopicPartition> parts = consumer.partitionsFor(TOPIC, Duration.ofSeconds(30))
          .stream().map(i -> new org.apache.kafka.common.TopicPartition(TOPIC, i.partition())).toList();
      consumer.assign(parts);
      consumer.seekToEnd(parts);
      parts.forEach(consumer::position);
      thread = Thread.ofPlatform().name("direct-reader").daemon().start(this::loop);
    }

    private void loop() {
      while (running) {
        for (var rec : consumer.poll(Duration.ofMillis(50))) {
          if (rec.value() == null) {
            continue; // the tombstone after a delete: not an event
          }
          long now = System.nanoTime();
          var e = io.kvpipe.common.event.ChangeEventCodec.decode(rec.value());
          tracker.seen(e.key(), e.version(), now);
        }
      }
      consumer.close();
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      thread.join(10_000);
    }
  }

  /** One fan-out: its watchers (subscribed before the writes), writes, and the pairing of acks with events. */
  private final class Phase implements AutoCloseable {
    private final KvStack stack;
    private final HttpClient http;
    private final int fanout;
    private final int prefixes;
    private final List<ResumingWatcher> streams = new ArrayList<>();
    private final byte[] value = KvShape.value(valueBytes);
    private final DirectReader direct;
    private volatile VisibilityTracker tracker = new VisibilityTracker(16);
    private long seq;

    Phase(KvStack stack, HttpClient http, int fanout, DirectReader direct) {
      this.direct = direct;
      this.stack = stack;
      this.http = http;
      this.fanout = fanout;
      this.prefixes = watchers / fanout;
    }

    void subscribe() {
      OUT.printf("   opening %,d watch streams%n", watchers);
      for (int w = 0; w < watchers; w++) {
        String id = Integer.toString(w);
        streams.add(new ResumingWatcher(http, List.of(stack.proxyUrl()), KvStack.DATA_TOKEN,
            "prefix=p" + (w % prefixes) + "/", e -> tracker.seen(id + "|" + e.key(), e.version(), System.nanoTime()))
            .start());
      }
      Poll.until("every watch stream ready", Duration.ofSeconds(120), Duration.ofMillis(100),
          () -> streams.stream().allMatch(ResumingWatcher::isReady));
    }

    Map<String, Object> run(Duration d, Map<String, Long> pids) throws InterruptedException {
      int capacity = (int) Math.min(Integer.MAX_VALUE - 16, ((long) rate * d.toSeconds() + 1000) * fanout);
      VisibilityTracker t = new VisibilityTracker(capacity);
      tracker = t;
      VisibilityTracker kafka = new VisibilityTracker((int) ((long) rate * d.toSeconds() + 1000));
      direct.tracker = kafka;
      int connectionsBefore = streams.stream().mapToInt(ResumingWatcher::connections).sum();
      Set<String> errorSamples = ConcurrentHashMap.newKeySet();
      long base = seq;
      ProcessCpu.Sample before = ProcessCpu.Sample.of(pids);
      OpenLoop.Result r = new OpenLoop("writes at " + rate + "/s", rate, d, 256,
          n -> write(base + n, t, kafka, errorSamples), OUT).run();
      Map<String, Object> cpu = ProcessCpu.Sample.of(pids).since(before);
      seq = base + r.issued();
      try {
        Poll.until("every acknowledged write at its watchers", DRAIN, Duration.ofMillis(50), () -> t.pending() == 0);
      } catch (AssertionError timedOut) {
        OUT.printf("   !! %,d events not delivered %d s after the writes%n", t.pending(), DRAIN.toSeconds());
      }
      LatencyRecorder.Percentiles p = t.latency().percentiles();
      LatencyRecorder.Percentiles k = kafka.latency().percentiles();
      int reconnects = streams.stream().mapToInt(ResumingWatcher::connections).sum() - connectionsBefore;
      OUT.printf("   %,.0f writes/s acknowledged, %d errors, %d skipped; %,d events delivered (%,.0f/s); notify p50 "
              + "%.1f ms, p99 %.1f ms, p999 %.1f ms, max %.1f ms; %d missing; %d reconnects; CPU %s%% of a core%n",
          r.achievedPerSecond(), r.errors(), r.skipped(), t.matched(), t.matched() / r.seconds(), p.p50(), p.p99(),
          p.p999(), p.max(), t.pending(), reconnects,
          cpu.get("total") instanceof Map<?, ?> m ? m.get("core_pct") : "?");
      OUT.printf("   baseline, a plain Kafka consumer in this JVM: ack -> readable in Kafka p50 %.1f ms, p99 %.1f ms%n",
          k.p50(), k.p99());
      return JsonReport.map("fanout", fanout, "prefixes", prefixes, "watchers", watchers, "target_writes_per_s",
          rate, "achieved_writes_per_s", Math.round(r.achievedPerSecond()), "write_errors", r.errors(),
          "writes_skipped", r.skipped(), "events_delivered", t.matched(), "events_per_s",
          Math.round(t.matched() / r.seconds()), "events_seen_before_ack", t.seenBeforeAck(),
          "notify_p50_ms", ProcessCpu.round(2, p.p50()), "notify_p99_ms", ProcessCpu.round(2, p.p99()),
          "notify_p999_ms", ProcessCpu.round(2, p.p999()), "notify_max_ms", ProcessCpu.round(2, p.max()),
          "events_missing", t.pending(), "extra_connections", reconnects, "cpu", cpu,
          "kafka_visible_p50_ms", ProcessCpu.round(2, k.p50()), "kafka_visible_p99_ms", ProcessCpu.round(2, k.p99()),
          "kafka_visible_p999_ms", ProcessCpu.round(2, k.p999()),
          "error_samples", List.copyOf(errorSamples));
    }

    private CompletableFuture<?> write(long n, VisibilityTracker t, VisibilityTracker kafka,
                                       Set<String> errorSamples) {
      int prefix = (int) (n % prefixes);
      String key = "p" + prefix + "/" + (n / prefixes % 16);
      return stack.data().putAsync(key, value).handle((resp, e) -> {
        WriteErrors.check(resp, e, errorSamples);
        long now = System.nanoTime();
        kafka.acked(key, resp.version(), now);
        for (int w = prefix; w < watchers; w += prefixes) {
          t.acked(w + "|" + key, resp.version(), now);
        }
        return resp;
      });
    }

    @Override
    public void close() {
      streams.forEach(ResumingWatcher::close);
    }
  }
}
