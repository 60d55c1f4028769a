package io.kvpipe.bench;

import io.kvpipe.client.meta.MetaClient;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.MetaReply;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.bench.JsonReport;
import io.kvpipe.testsupport.bench.OpenLoop;
import io.kvpipe.testsupport.load.KeepAliveHttp;
import io.kvpipe.testsupport.bench.LatencyRecorder;
import io.kvpipe.testsupport.bench.ProcessCpu;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The proxy's topology service (issue 15): how fast a topology change reaches every SSE subscriber of
 * {@code /api/topology/subscribe}, how many topology queries one proxy answers, and what the subscribers cost it.
 * 3 kv-nodes (meta, g1, g2) and a proxy, each its own process; {@code --subscribers} SSE streams from this JVM (one
 * HTTP/1.1 connection each, read over NIO by {@code --reader-threads} threads). Where a change's time goes (meta
 * apply, the proxy's watcher, the SSE fan-out, the reader) is read from the processes' trace lines, see
 * {@link StageTrace}. Changes are topology commands sent to the meta group from this JVM (a group that no node
 * hosts, added and removed in turn, one every {@code --interval-ms}); the latency of a change at a subscriber is from
 * the command's acknowledgement to its {@code id:} line read by the subscriber (0 if read before the ack). Queries:
 * wrk on {@code GET /api/topology/version} (closed loop) at each {@code --query-concurrency}.
 */
public final class TopologyBench {
  private static final PrintStream OUT = System.out;

  private final BenchArgs args;
  private final int subscribers;
  private final int changes;
  /** Changes until every kvpipe JVM's JIT has settled ({@link JitWarmUp}), then the measured ones. */
  private final JitWarmUp.Settings warmUp;
  /** Changes sent so far (each adds or removes the ghost group in turn). */
  private int sent;
  private final Duration interval;
  private final List<Integer> queryConcurrency;
  private final Duration querySeconds;
  /** Issue 15's point: queries at a fixed rate (open loop), where the closed-loop runs only show saturation. */
  private final int queryRate;
  private final int readerThreads;
  private final Path work;
  /** The acknowledgement times (System.nanoTime) of the last run of changes, by version. */
  private Map<Long, Long> lastAcks = Map.of();
  /** The proxy's process id, for its CPU time per change. */
  private long proxyPid;

  private TopologyBench(BenchArgs a) {
    this.args = a;
    this.subscribers = a.integer("subscribers", 2000);
    this.changes = a.integer("changes", 100);
    this.warmUp = JitWarmUp.Settings.from(a, 20);
    this.interval = Duration.ofMillis(a.integer("interval-ms", 100));
    this.queryConcurrency = a.integers("query-concurrency", "16,64");
    this.querySeconds = a.seconds("query-seconds", 10);
    this.queryRate = a.integer("query-rate", 20_000);
    this.readerThreads = a.integer("reader-threads", 2);
    this.work = Path.of(a.string("work-dir", "target/bench-work")).resolve("topology-" + System.currentTimeMillis());
  }

  public static void main(String[] argv) throws Exception {
    BenchArgs a = new BenchArgs(argv);
    JsonReport report = new JsonReport("topology");
    new TopologyBench(a).run(report);
    Path file = report.write(Path.of(a.string("out", "target/bench")));
    OUT.println("wrote " + file.toAbsolutePath());
    System.exit(0);
  }

  private void run(JsonReport report) throws Exception {
    Files.createDirectories(work);
    report.put("settings", JsonReport.map("subscribers", subscribers, "changes", changes, "warm_up",
        warmUp.describe(), "interval_ms", interval.toMillis(), "query_concurrency", queryConcurrency, "query_seconds",
        querySeconds.toSeconds(), "reader_threads", readerThreads, "latency", "meta command acknowledged (in this "
            + "JVM) -> its id: line read by each subscriber (NIO, timed at the read); 0 when read before the ack", "queries", "wrk closed loop, GET /api/topology/version", "query_rate", queryRate,
        "fixed_rate_queries", "open loop (test-support OpenLoop + KeepAliveHttp, in this JVM) at query_rate for "
            + "query_seconds; latency from the request's start", "paced_queries", "wrk, 1 ms between a connection's"
            + " response and its next request, connections for about query_rate; latency from the request's write"));
    KvStack.Options base = KvStack.Options.from(args).withMetrics()
        .withProxyArgs("--max-sse-subscribers", Integer.toString(subscribers + 16));
    // Stage timing lines (meta apply, watcher reply/load, SSE fan-out) in the node and proxy logs; see StageTrace.
    KvStack.Options options = new KvStack.Options(base.nodeJvm() + " " + StageTrace.JVM_FLAG,
        base.proxyJvm() + " " + StageTrace.JVM_FLAG, base.nodeArgs(), base.proxyArgs(), base.metrics(), base.tls(),
        base.groups());
    report.put("kvpipe", options.describe());
    try (KvStack stack = KvStack.start(work.resolve("kvpipe"), options, OUT)) {
      proxyPid = stack.proxy().pid();
      long rssBefore = rssKib(proxyPid);
      Subscribers subs = new Subscribers(stack);
      subs.open();
      long rssWith = rssKib(proxyPid);
      OUT.printf("   proxy RSS %,d KiB before, %,d KiB with %,d subscribers (%.1f KiB each)%n", rssBefore, rssWith,
          subscribers, (rssWith - rssBefore) / (double) subscribers);
      List<Peer> metaPeers = Arrays.stream(stack.peers().split(",")).map(Peer::parse).toList();
      try (MetaClient meta = new MetaClient(metaPeers, Duration.ofSeconds(10), stack.nodes().tls().raftTls())) {
        // Changes at the measured pace until the JIT of every kvpipe JVM has settled: 30 changes (the old warm-up,
        // 3 s) left the proxy's fan-out and the nodes' code still compiling into the measured changes.
        Map<String, Object> warm = JitWarmUp.run(warmUp, stack.jitJvms(), window ->
            changes(meta, subs, (int) Math.max(1, window.toMillis() / interval.toMillis())), OUT);
        OUT.printf("== %d changes, one every %d ms, to %,d subscribers%n", changes, interval.toMillis(), subscribers);
        Map<String, Object> push = changes(meta, subs, changes);
        push.put("warm_up", warm);
        push.put("stages", StageTrace.read(work.resolve("kvpipe"), lastAcks, subs::arrivalTimes, OUT));
        report.put("push", push);
      }
      report.put("proxy_rss_kib", JsonReport.map("before_subscribers", rssBefore, "with_subscribers", rssWith,
          "per_subscriber_kib", ProcessCpu.round(2, (rssWith - rssBefore) / (double) subscribers)));
      subs.close();

      Wrk wrk = new Wrk(Path.of("scripts/wrk/kv.lua"), work.resolve("wrk.log"), 1, 0);
      List<Object> queries = new ArrayList<>();
      for (int c : queryConcurrency) {
        Wrk.Result r = wrk.run(stack.proxyUrl(), "kvpipe", "topology", c, Math.min(2, c), querySeconds,
            KvStack.DATA_TOKEN);
        OUT.printf("   topology queries c=%d: %,.0f/s, p50 %.2f ms, p99 %.2f ms, %d errors%n", c,
            r.requests() / r.seconds(), r.p50(), r.p99(), r.errors());
        queries.add(JsonReport.map("concurrency", c, "queries_per_s", Math.round(r.requests() / r.seconds()),
            "p50_ms", r.p50(), "p99_ms", r.p99(), "p999_ms", r.p999(), "errors", r.errors()));
      }
      report.put("queries", queries);
      if (queryRate > 0) {
        report.put("fixed_rate_queries", fixedRateQueries(stack, Map.of("proxy", stack.proxy().pid())));
        report.put("paced_queries", pacedQueries(stack, wrk));
      }
    }
  }

  /**
   * The same rate offered by wrk, each connection waiting 1 ms after every response (about 740 requests/s per
   * connection here): wrk times a request from its write, so what it reports is the proxy's answer time at that rate,
   * without the Java driver's own queueing, which the open-loop figure includes.
   */
  private Map<String, Object> pacedQueries(KvStack stack, Wrk wrk) throws Exception {
    int paceMillis = 1;
    int connections = (int) Math.ceil(queryRate * 1.4 / 1000);
    OUT.printf("== topology queries paced by wrk: %d connections, %d ms between a response and the next request%n",
        connections, paceMillis);
    Wrk.Result r = wrk.run(stack.proxyUrl(), "kvpipe", "topology", connections, 2, querySeconds, KvStack.DATA_TOKEN,
        paceMillis);
    double rate = r.requests() / r.seconds();
    OUT.printf("   paced queries: %,.0f/s, p50 %.2f ms, p99 %.2f ms, p999 %.2f ms, %d errors (target p99 < 2 ms at"
        + " %,d/s)%n", rate, r.p50(), r.p99(), r.p999(), r.errors(), queryRate);
    return JsonReport.map("connections", connections, "pace_ms", paceMillis, "queries_per_s", Math.round(rate),
        "p50_ms", r.p50(), "p99_ms", r.p99(), "p999_ms", r.p999(), "errors", r.errors(), "target_p99_ms", 2,
        "met", r.errors() == 0 && rate >= 0.95 * queryRate && r.p99() < 2);
  }

  /**
   * GET /api/topology/version at {@link #queryRate} per second whatever the answers' pace (open loop), after as long
   * again of warm-up at the same rate: the latency a client sees at that load, not at saturation.
   */
  private Map<String, Object> fixedRateQueries(KvStack stack, Map<String, Long> pids) throws Exception {
    int maxInFlight = 512;
    try (KeepAliveHttp http = new KeepAliveHttp(stack.proxyUrl(), KvStack.DATA_TOKEN, Duration.ofSeconds(5))) {
      for (String phase : List.of("warm-up", "measured")) {
        LatencyRecorder latency = new LatencyRecorder(queryRate * (int) querySeconds.toSeconds() + 1024);
        AtomicLong badStatus = new AtomicLong();
        OUT.printf("== topology queries at %,d/s for %d s (%s, open loop)%n", queryRate, querySeconds.toSeconds(),
            phase);
        ProcessCpu.Sample before = ProcessCpu.Sample.of(pids);
        OpenLoop.Result r = new OpenLoop("queries at " + queryRate + "/s", queryRate, querySeconds, maxInFlight,
            n -> {
              long t0 = System.nanoTime();
              return http.send("GET", "/api/topology/version", null).thenAccept(reply -> {
                latency.record(System.nanoTime() - t0);
                if (reply.status() != 200) {
                  badStatus.incrementAndGet();
                }
              });
            }, OUT).run();
        if (phase.equals("warm-up")) {
          continue;
        }
        Map<String, Object> cpu = ProcessCpu.Sample.of(pids).since(before);
        LatencyRecorder.Percentiles p = latency.percentiles();
        long errors = r.errors() + badStatus.get();
        OUT.printf("   queries at %,d/s asked, %,.0f/s answered: p50 %.2f ms, p99 %.2f ms, p999 %.2f ms; %d errors,"
            + " %d skipped (target p99 < 2 ms)%n", queryRate, r.achievedPerSecond(), p.p50(), p.p99(), p.p999(),
            errors, r.skipped());
        return JsonReport.map("asked_per_s", queryRate, "answered_per_s", Math.round(r.achievedPerSecond()), "p50_ms",
            p.p50(), "p99_ms", p.p99(), "p999_ms", p.p999(), "errors", errors, "skipped", r.skipped(),
            "max_in_flight", maxInFlight, "proxy_cpu", cpu, "target_p99_ms", 2,
            "met", errors == 0 && r.skipped() == 0 && p.p99() < 2);
      }
    }
    throw new IllegalStateException("unreachable");
  }

  /** Sends {@code n} changes (add/remove a group no node hosts) and times their arrival at every subscriber. */
  private Map<String, Object> changes(MetaClient meta, Subscribers subs, int n) throws Exception {
    ShardGroup ghost = ShardGroup.parse("bench-ghost=ghost1@127.0.0.1:9");
    Map<Long, Long> ackedAt = new ConcurrentHashMap<>();
    lastAcks = ackedAt;
    Map<String, Long> pids = Map.of("proxy", proxyPid, "bench", ProcessHandle.current().pid());
    ProcessCpu.Sample cpuBefore = ProcessCpu.Sample.of(pids);
    double boxBefore = ProcessCpu.boxBusySeconds();
    long readersBefore = subs.readerCpuNanos();
    for (int i = 0; i < n; i++) {
      boolean add = sent++ % 2 == 0;
      MetaReply r = meta.submitAndWait(add
          ? new MetaCommand.AddGroup(ghost, null, System.currentTimeMillis())
          : new MetaCommand.RemoveGroup(ghost.id(), null, System.currentTimeMillis()));
      long acked = System.nanoTime();
      if (!r.ok() || !r.changed()) {
        throw new IllegalStateException("the meta group did not apply change " + i + ": " + r);
      }
      ackedAt.put(r.version(), acked);
      Thread.sleep(interval.toMillis()); // the pace of the changes, not a wait for anything
    }
    Poll.until("every change at every subscriber", Duration.ofSeconds(60), Duration.ofMillis(50),
        () -> ackedAt.keySet().stream().allMatch(v -> subs.arrivals(v) >= subscribers));
    ProcessCpu.Sample cpuAfter = ProcessCpu.Sample.of(pids);
    double perChange = 1000.0 / n;
    Map<String, Object> cpu = JsonReport.map("what", "CPU ms per change over the run of changes (pauses included)",
        "proxy_ms", ProcessCpu.round(2, (cpuAfter.seconds().get("proxy") - cpuBefore.seconds().get("proxy")) * perChange),
        "bench_ms", ProcessCpu.round(2, (cpuAfter.seconds().get("bench") - cpuBefore.seconds().get("bench")) * perChange),
        "readers_ms", ProcessCpu.round(2, (subs.readerCpuNanos() - readersBefore) / 1e6 / n),
        "box_ms", ProcessCpu.round(2, (ProcessCpu.boxBusySeconds() - boxBefore) * perChange));
    LatencyRecorder latency = new LatencyRecorder(n * subscribers + 16);
    long missing = 0;
    for (Map.Entry<Long, Long> e : ackedAt.entrySet()) {
      long[] at = subs.arrivalTimes(e.getKey());
      missing += subscribers - at.length;
      for (long t : at) {
        latency.record(Math.max(0, t - e.getValue()));
      }
    }
    LatencyRecorder.Percentiles p = latency.percentiles();
    OUT.printf("   change -> SSE event at each of %,d subscribers: p50 %.2f ms, p99 %.2f ms, p999 %.2f ms, "
        + "max %.2f ms; %d missing; %d streams ended; CPU per change: %s%n", subscribers, p.p50(), p.p99(), p.p999(),
        p.max(), missing, subs.ended(), cpu);
    return new java.util.LinkedHashMap<>(JsonReport.map("changes", n, "deliveries", p.samples(), "p50_ms", ProcessCpu.round(2, p.p50()),
        "p99_ms", ProcessCpu.round(2, p.p99()), "p999_ms", ProcessCpu.round(2, p.p999()), "max_ms",
        ProcessCpu.round(2, p.max()), "missing", missing, "cpu_per_change", cpu));
  }

  private static long rssKib(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  /**
   * The SSE streams, read over NIO by {@code --reader-threads} selector threads (SseStreams), recording when each
   * version's id: line arrives.
   */
  private final class Subscribers implements AutoCloseable {
    private final KvStack stack;
    private final Map<Long, long[]> arrivals = new ConcurrentHashMap<>();
    private final Map<Long, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final AtomicInteger ready = new AtomicInteger();
    private final SseStreams streams = new SseStreams(new SseStreams.Listener() {
      @Override
      public void id(long v, long nanos) {
        int slot = counts.computeIfAbsent(v, k -> new AtomicInteger()).getAndIncrement();
        long[] times = arrivals.computeIfAbsent(v, k -> new long[subscribers]);
        if (slot < times.length) {
          times[slot] = nanos;
        }
      }

      @Override
      public void snapshot() {
        ready.incrementAndGet();
      }
    });

    Subscribers(KvStack stack) {
      this.stack = stack;
    }

    void open() throws Exception {
      OUT.printf("   opening %,d SSE subscribers (%d reader threads)%n", subscribers, readerThreads);
      URI proxy = URI.create(stack.proxyUrl());
      streams.open(new InetSocketAddress(proxy.getHost(), proxy.getPort()), "/api/topology/subscribe",
          KvStack.DATA_TOKEN, subscribers, readerThreads);
      Poll.until("every subscriber's snapshot frame", Duration.ofSeconds(120), Duration.ofMillis(100),
          () -> ready.get() >= subscribers);
    }

    int arrivals(long version) {
      AtomicInteger c = counts.get(version);
      return c == null ? 0 : c.get();
    }

    long[] arrivalTimes(long version) {
      long[] all = arrivals.getOrDefault(version, new long[0]);
      return Arrays.copyOf(all, Math.min(all.length, arrivals(version)));
    }

    int ended() {
      return streams.ended();
    }

    long readerCpuNanos() {
      return streams.readerCpuNanos();
    }

    @Override
    public void close() {
      streams.close();
    }
  }
}
