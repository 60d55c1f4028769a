package io.kvpipe.bench;

import io.kvpipe.client.GroupCommit;
import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.testsupport.bench.ClosedLoop;
import io.kvpipe.testsupport.bench.JsonReport;
import io.kvpipe.testsupport.bench.ProcessCpu;
import io.kvpipe.testsupport.tls.TestTls;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Issue 18's side-by-side benchmark: kvpipe through its proxy against a 3-member etcd, driven by the same external
 * load generator (wrk + scripts/wrk/kv.lua: keep-alive connections, 16-byte keys, 100-byte values) in one run, plus
 * the same concurrency straight to Ratis with ShardGroupClient from this JVM (the proxy's overhead). Every process is
 * its own: 3 kv-nodes and a proxy (KvStack), 3 etcd members, wrk, this driver. Per operation (puts, linearizable
 * gets) and concurrency, the three systems run in alternating slices (kvpipe, etcd, direct; then the reverse), so
 * load drift on a shared box does not bias the ratios; each slice's CPU of the system's processes is read from /proc.
 */
public final class ProxyBench {
  private static final PrintStream OUT = System.out;
  private static final List<String> SYSTEMS = List.of("kvpipe", "etcd", "direct");

  private final BenchArgs args;
  private final int sliceSeconds;
  private final int rounds;
  private final List<Integer> concurrencies;
  private final List<String> ops;
  private final int keys;
  private final int valueBytes;
  private final JitWarmUp.Settings warmUp;
  private final int wrkThreads;
  private final boolean withEtcd;
  private final boolean withDirect;
  private final Path work;

  private ProxyBench(BenchArgs a) {
    this.args = a;
    this.rounds = Math.max(1, a.integer("rounds", 3));
    this.sliceSeconds = Math.max(1, a.integer("seconds", 15) / rounds);
    this.concurrencies = a.integers("concurrency", "1,16,64,256");
    this.ops = List.of(a.string("ops", "put,get").split(","));
    this.keys = a.integer("keys", 10_000);
    this.valueBytes = a.integer("value-bytes", 100);
    // The JIT needs tens of seconds of load, on this box often more than a hundred, before kvpipe's JVMs run at speed.
    this.warmUp = JitWarmUp.Settings.from(a, 60);
    this.wrkThreads = a.integer("wrk-threads", 2);
    this.withEtcd = Boolean.parseBoolean(a.string("etcd", "true"));
    this.withDirect = Boolean.parseBoolean(a.string("direct", "true"));
    this.work = Path.of(a.string("work-dir", "target/bench-work")).resolve("proxy-" + System.currentTimeMillis());
    for (String op : ops) {
      if (!op.equals("put") && !op.equals("get")) {
        throw new IllegalArgumentException("--ops takes put and/or get, got '" + op + "'");
      }
    }
  }

  public static void main(String[] argv) throws Exception {
    BenchArgs a = new BenchArgs(argv);
    ProxyBench bench = new ProxyBench(a);
    JsonReport report = new JsonReport("proxy");
    bench.run(report);
    Path file = report.write(Path.of(a.string("out", "target/bench")));
    OUT.println("wrote " + file.toAbsolutePath());
    System.exit(0);
  }

  private void run(JsonReport report) throws Exception {
    Files.createDirectories(work);
    // The kv-nodes' /metrics tell the warm-up how busy their JIT still is.
    KvStack.Options options = KvStack.Options.from(args).withMetrics();
    String etcdBinary = args.string("etcd-binary", "etcd");
    report.put("settings", JsonReport.map("seconds_per_system_per_point", sliceSeconds * rounds, "rounds", rounds,
        "slice_seconds", sliceSeconds, "concurrency", concurrencies, "ops", ops, "keys", keys, "key_bytes", 16,
        "value_bytes", valueBytes, "warm_up", warmUp.describe(), "wrk_threads", wrkThreads,
        "load_generator", "wrk (Debian) + scripts/wrk/kv.lua, keep-alive, closed loop; direct: ShardGroupClient "
            + "from the benchmark JVM", "order", "per point: kvpipe, etcd, direct; next round reversed"));
    report.put("kvpipe", options.describe());
    Path pidFile = args.string("pid-file", "").isEmpty() ? null : Path.of(args.string("pid-file", ""));
    byte[] value = KvShape.value(valueBytes);
    List<String> keyNames = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      keyNames.add(KvShape.key(i));
    }
    // etcd's members talk over mutual TLS when kvpipe's replicas do (the default), so that both pay for it.
    boolean etcdPeerTls = args.onOff("etcd-peer-tls", options.tls());
    EtcdCluster etcd = withEtcd ? EtcdCluster.start(etcdBinary, pidFile,
        etcdPeerTls ? TestTls.cluster() : TestTls.PLAINTEXT, OUT) : null;
    try (KvStack stack = KvStack.start(work.resolve("kvpipe"), options, OUT)) {
      String etcdUrl = null;
      if (etcd != null) {
        String leader = etcd.leader();
        etcdUrl = etcd.url(leader);
        report.put("etcd", JsonReport.map("version", version(etcdBinary), "members", 3, "fsync", true,
            "settings", "Debian's defaults; loopback; own temp data dirs", "peer_tls",
            etcdPeerTls ? "mutual TLS" : "plaintext", "client", "plain HTTP gateway", "endpoint",
            "the leader (" + leader + "): the best case for etcd"));
        OUT.printf("   etcd leader %s at %s%n", leader, etcdUrl);
      }
      Map<String, Long> terms = terms(stack);
      long etcdTerm = etcd == null ? 0 : etcd.term();
      Runner runner = new Runner(stack, etcd, etcdUrl, value);
      OUT.printf("== loading %,d keys into kvpipe (straight to %s) and etcd%n", keys, String.join(", ", stack.groups()));
      new BulkLoader(stack.ring(), stack.clients(), 1000, OUT).load(keys, KvShape::key, value);
      if (etcd != null) {
        etcd.load(keyNames, value);
      }
      if (warmUp.min().toSeconds() > 0) {
        report.put("warm_up", runner.warmUp());
      }
      List<Object> points = new ArrayList<>();
      List<Row> rows = new ArrayList<>();
      for (String op : ops) {
        for (int c : concurrencies) {
          OUT.printf("== %ss at c=%d: %d round(s) of %d s per system%n", op, c, rounds, sliceSeconds);
          Map<String, List<Slice>> slices = new LinkedHashMap<>();
          for (int r = 0; r < rounds; r++) {
            List<String> order = new ArrayList<>(SYSTEMS);
            if (r % 2 == 1) {
              java.util.Collections.reverse(order);
            }
            for (String system : order) {
              if (runner.enabled(system)) {
                Slice s = runner.slice(system, op, c, Duration.ofSeconds(sliceSeconds));
                double batch = s.batching().opsPerRequest();
                OUT.printf("   %-6s %5.1f s: %,8.0f ops/s, p50 %7.2f ms, p99 %7.2f ms, %d errors, CPU %.0f%% of a core%s%s%n",
                    system, s.seconds, s.rate(), s.p50, s.p99, s.errors, 100 * s.cpuSeconds / s.seconds,
                    Double.isNaN(batch) ? "" : String.format(", %.1f ops per Raft request", batch),
                    s.elections == 0 ? "" : ", !! " + s.elections + " election(s) during the slice");
                slices.computeIfAbsent(system, k -> new ArrayList<>()).add(s);
              }
            }
          }
          Row row = new Row(op, c, Figures.of(slices.get("kvpipe")), Figures.of(slices.get("etcd")),
              Figures.of(slices.get("direct")));
          rows.add(row);
          points.add(row.toMap());
        }
      }
      report.put("points", points);
      Map<String, Long> after = terms(stack);
      Map<String, Object> elections = new LinkedHashMap<>();
      terms.forEach((g, t) -> elections.put(g, after.get(g) - t));
      if (etcd != null) {
        elections.put("etcd", etcd.term() - etcdTerm);
      }
      report.put("raft_elections_during_run", elections);
      printTable(rows);
      OUT.println("elections during the run (term changes; from the load of the keys on): " + elections);
      report.put("targets", targets(rows));
      report.put("wrk_log", work.resolve("wrk.log").toString());
    } finally {
      if (etcd != null) {
        etcd.close();
      }
    }
  }

  private static Map<String, Long> terms(KvStack stack) {
    Map<String, Long> t = new LinkedHashMap<>();
    for (String g : java.util.stream.Stream.concat(java.util.stream.Stream.of("meta"), stack.groups().stream()).toList()) {
      t.put(g, stack.nodes().leaderTerm(g, Duration.ofSeconds(60)));
    }
    return t;
  }

  private static String version(String etcdBinary) {
    try {
      Process p = new ProcessBuilder(etcdBinary, "--version").redirectErrorStream(true).start();
      String first = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().findFirst()
          .orElse("?");
      p.waitFor();
      return first;
    } catch (java.io.IOException e) {
      return "unknown (" + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }

  /** Runs one slice of one system: wrk for kvpipe and etcd, a closed loop of Ratis clients for direct. */
  private final class Runner {
    private final KvStack stack;
    private final EtcdCluster etcd;
    private final String etcdUrl;
    private final byte[] value;
    private final Wrk wrk;
    private final String[] owner;
    private final ExecutorService hop = Executors.newVirtualThreadPerTaskExecutor();
    private final PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());

    Runner(KvStack stack, EtcdCluster etcd, String etcdUrl, byte[] value) {
      this.stack = stack;
      this.etcd = etcd;
      this.etcdUrl = etcdUrl;
      this.value = value;
      this.wrk = new Wrk(Path.of(args.string("wrk-script", "scripts/wrk/kv.lua")), work.resolve("wrk.log"), keys,
          valueBytes);
      this.owner = new String[keys];
      for (int i = 0; i < keys; i++) {
        owner[i] = stack.ring().groupFor(KvShape.key(i).getBytes(StandardCharsets.UTF_8));
      }
    }

    boolean enabled(String system) {
      return switch (system) {
        case "etcd" -> etcd != null;
        case "direct" -> withDirect;
        default -> true;
      };
    }

    /**
     * kvpipe's JVMs reach their steady rate only after the JIT has compiled both the batched path (c=64) and the
     * lone-request path (c=1): measured, c=1 puts ran at a third of their steady rate after 30 s of c=64 alone. So
     * puts and gets at c=64 and c=1 take turns until every kvpipe JVM's JIT has settled ({@link JitWarmUp}); then the
     * direct client and etcd get a short turn of their own (etcd, compiled ahead, needs no more).
     */
    Map<String, Object> warmUp() throws Exception {
      record Turn(String op, int c, int seconds) { }
      List<Turn> turns = List.of(new Turn("put", 64, 4), new Turn("put", 1, 2), new Turn("get", 64, 2),
          new Turn("get", 1, 2));
      Map<String, Object> warm = JitWarmUp.run(warmUp, stack.jitJvms(), window -> {
        long end = System.nanoTime() + window.toNanos();
        for (int i = 0; System.nanoTime() < end; i++) {
          Turn t = turns.get(i % turns.size());
          long leftSeconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(end - System.nanoTime()));
          Slice s = slice("kvpipe", t.op(), t.c(), Duration.ofSeconds(Math.min(t.seconds(), leftSeconds)));
          OUT.printf("   kvpipe %ss c=%d: %,.0f ops/s, p50 %.2f ms, p99 %.1f ms, %d errors%n", s.op, t.c(), s.rate(),
              s.p50, s.p99, s.errors);
        }
      }, OUT);
      if (withDirect) {
        for (int c : List.of(64, 1)) {
          Slice s = slice("direct", "put", c, Duration.ofSeconds(c == 1 ? 5 : 10));
          OUT.printf("   direct puts c=%d: %,.0f ops/s, p99 %.1f ms%n", c, s.rate(), s.p99);
        }
      }
      if (etcd != null) {
        Slice s = slice("etcd", "put", 64, Duration.ofSeconds(5));
        OUT.printf("   etcd puts: %,.0f ops/s, p99 %.1f ms%n", s.rate(), s.p99);
      }
      return warm;
    }

    Slice slice(String system, String op, int c, Duration d) throws Exception {
      Map<String, Long> pids = new LinkedHashMap<>();
      switch (system) {
        case "kvpipe" -> pids.putAll(stack.pids());
        case "etcd" -> pids.putAll(etcd.pids());
        default -> {
          stack.nodes().nodeIds().forEach(id -> pids.put(id, stack.nodes().process(id).pid()));
          pids.put("bench", ProcessHandle.current().pid());
        }
      }
      long termBefore = term(system);
      Batching batchingBefore = batching(system, op);
      ProcessCpu.Sample before = ProcessCpu.Sample.of(pids);
      Slice s;
      if (system.equals("direct")) {
        ClosedLoop.Result r = new ClosedLoop("direct " + op, c, d, direct(op), quiet).run();
        s = new Slice(system, op, r.seconds(), r.ops(), r.errors(), r.latencyMs().p50(), r.latencyMs().p99(),
            r.latencyMs().max(), 0, Map.of(), 0, r.lastError(), Batching.NONE);
      } else {
        String url = system.equals("etcd") ? etcdUrl : stack.proxyUrl();
        int threads = c == 1 ? 1 : Math.min(wrkThreads, c);
        Wrk.Result r = wrk.run(url, system, op, c, threads, d, system.equals("kvpipe") ? KvStack.DATA_TOKEN : null);
        s = new Slice(system, op, r.seconds(), r.requests() - r.statusErrors(), r.errors(), r.p50(), r.p99(),
            r.max(), 0, Map.of(), 0,
            r.errors() > 0 ? r.statusErrors() + " HTTP >= 400, " + r.socketErrors() + " socket" : null,
            Batching.NONE);
      }
      ProcessCpu.Sample after = ProcessCpu.Sample.of(pids);
      return s.with(after.totalSince(before), after.since(before), term(system) - termBefore,
          batching(system, op).minus(batchingBefore));
    }

    /** Raft requests kvpipe sent so far for {@code op} and the operations they carried (etcd: none). */
    private Batching batching(String system, String op) {
      String kind = op.equals("put") ? "write" : "read";
      if (system.equals("kvpipe")) {
        String text = Scrape.text(new Scrape.Endpoint(java.net.URI.create(stack.proxyUrl() + "/metrics"),
            KvStack.DATA_TOKEN));
        String labels = "kind=\"" + kind + "\"";
        return new Batching(Scrape.value(text, "kvpipe_proxy_group_commit_requests_total", labels),
            Scrape.value(text, "kvpipe_proxy_group_commit_operations_total", labels));
      }
      if (system.equals("direct")) {
        double requests = 0;
        double ops = 0;
        for (ShardGroupClient c : stack.clients().values()) {
          GroupCommit.Stats st = c.groupCommitStats();
          requests += kind.equals("write") ? st.writeRequests() : st.readRequests();
          ops += kind.equals("write") ? st.writeOps() : st.readOps();
        }
        return new Batching(requests, ops);
      }
      return Batching.NONE;
    }

    /** The sum of the system's Raft terms (kvpipe: meta and the shard groups; etcd: its one group): growth = elections. */
    private long term(String system) {
      return system.equals("etcd") ? etcd.term() : terms(stack).values().stream().mapToLong(Long::longValue).sum();
    }

    private IntFunction<CompletableFuture<?>> direct(String op) {
      return n -> {
        int k = ThreadLocalRandom.current().nextInt(keys);
        ShardGroupClient g = stack.client(owner[k]);
        // Completes on our own executor: the closed loop issues the next call from this completion, and a call
        // issued from a Ratis client's reply thread can stall that client.
        CompletableFuture<?> f = op.equals("put") ? g.putAsync(KvShape.key(k), value) : g.getAsync(KvShape.key(k));
        return f.thenApplyAsync(x -> x, hop);
      };
    }
  }

  /** Raft requests sent and the operations they carried (group commit); NaN where not known. */
  record Batching(double requests, double ops) {
    static final Batching NONE = new Batching(Double.NaN, Double.NaN);

    Batching minus(Batching before) {
      return new Batching(requests - before.requests, ops - before.ops);
    }

    double opsPerRequest() {
      return requests > 0 ? ops / requests : Double.NaN;
    }
  }

  /**
   * One slice of one system at one point; latencies in ms. {@code cpuByProcess}: each process's CPU over the slice
   * ({@link ProcessCpu.Sample#since}), so the proxy's own CPU per request can be told from the kv-nodes'.
   */
  record Slice(String system, String op, double seconds, long ok, long errors, double p50, double p99, double max,
               double cpuSeconds, Map<String, Object> cpuByProcess, long elections, String errorNote,
               Batching batching) {
    double rate() {
      return ok / seconds;
    }

    Slice with(double cpu, Map<String, Object> byProcess, long elections, Batching batching) {
      return new Slice(system, op, seconds, ok, errors, p50, p99, max, cpu, byProcess, elections, errorNote,
          batching);
    }

    /** CPU seconds of the process named {@code name} over the slice; NaN if it was not sampled. */
    double cpuOf(String name) {
      return cpuByProcess.get(name) instanceof Map<?, ?> m && m.get("cpu_s") instanceof Number n
          ? n.doubleValue() : Double.NaN;
    }

    Map<String, Object> toMap() {
      return JsonReport.map("seconds", ProcessCpu.round(2, seconds), "ok", ok, "errors", errors, "ops_per_s",
          Math.round(rate()), "p50_ms", ProcessCpu.round(3, p50), "p99_ms", ProcessCpu.round(3, p99), "max_ms",
          ProcessCpu.round(3, max), "cpu_s", ProcessCpu.round(2, cpuSeconds), "cpu_by_process", cpuByProcess,
          "elections", elections,
          "ops_per_raft_request", ProcessCpu.round(2, batching.opsPerRequest()), "errors_note", errorNote);
    }
  }

  /**
   * A system's figures at one point, over its slices: the rate is total successes over total time; p50 and p99 are
   * the medians of the slices' own (exact within each slice), the worst slice's p99 beside them.
   */
  record Figures(double rate, double p50, double p99, double p99Worst, long errors, double cpuCorePct,
                 double cpuMsPerOp, long elections, double opsPerRaftRequest, List<Slice> slices) {
    static Figures of(List<Slice> slices) {
      if (slices == null || slices.isEmpty()) {
        return null;
      }
      double seconds = slices.stream().mapToDouble(Slice::seconds).sum();
      long ok = slices.stream().mapToLong(Slice::ok).sum();
      double cpu = slices.stream().mapToDouble(Slice::cpuSeconds).sum();
      return new Figures(ok / seconds, median(slices.stream().mapToDouble(Slice::p50).toArray()),
          median(slices.stream().mapToDouble(Slice::p99).toArray()),
          slices.stream().mapToDouble(Slice::p99).max().orElse(0), slices.stream().mapToLong(Slice::errors).sum(),
          100 * cpu / seconds, ok == 0 ? Double.NaN : 1000 * cpu / ok,
          slices.stream().mapToLong(Slice::elections).sum(),
          new Batching(slices.stream().mapToDouble(x -> x.batching().requests()).sum(),
              slices.stream().mapToDouble(x -> x.batching().ops()).sum()).opsPerRequest(), slices);
    }

    private static double median(double[] v) {
      java.util.Arrays.sort(v);
      return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    Map<String, Object> toMap() {
      return JsonReport.map("ops_per_s", Math.round(rate), "p50_ms", ProcessCpu.round(3, p50), "p99_ms",
          ProcessCpu.round(3, p99), "p99_ms_worst_slice", ProcessCpu.round(3, p99Worst), "errors", errors,
          "cpu_core_pct", ProcessCpu.round(1, cpuCorePct), "cpu_ms_per_op", ProcessCpu.round(4, cpuMsPerOp),
          "elections_during_slices", elections, "ops_per_raft_request", ProcessCpu.round(2, opsPerRaftRequest),
          "cpu_ms_per_op_by_process", cpuMsPerOpByProcess(), "slices", slices.stream().map(Slice::toMap).toList());
    }

    /** Per process (proxy, kv-nodes, bench), its CPU over the slices per successful operation, in ms. */
    private Map<String, Object> cpuMsPerOpByProcess() {
      long ok = slices.stream().mapToLong(Slice::ok).sum();
      Map<String, Object> out = new LinkedHashMap<>();
      for (String name : slices.getFirst().cpuByProcess().keySet()) {
        double cpu = slices.stream().mapToDouble(x -> x.cpuOf(name)).sum();
        out.put(name, ok == 0 ? null : ProcessCpu.round(4, 1000 * cpu / ok));
      }
      return out;
    }
  }

  /** One point of the table: an operation at one concurrency, for each system (null when not run). */
  record Row(String op, int concurrency, Figures kvpipe, Figures etcd, Figures direct) {
    Double vsEtcd() {
      return etcd == null ? null : ProcessCpu.round(3, kvpipe.rate / etcd.rate);
    }

    Double vsDirect() {
      return direct == null ? null : ProcessCpu.round(3, kvpipe.rate / direct.rate);
    }

    Map<String, Object> toMap() {
      return JsonReport.map("op", op, "concurrency", concurrency, "kvpipe", kvpipe.toMap(),
          "etcd", etcd == null ? null : etcd.toMap(), "direct", direct == null ? null : direct.toMap(),
          "kvpipe_vs_etcd_rate", vsEtcd(), "proxy_vs_direct_rate", vsDirect());
    }
  }

  private static void printTable(List<Row> rows) {
    OUT.println();
    OUT.println("op   c    | kvpipe ops/s  p50 ms  p99 ms err | etcd ops/s  p50 ms  p99 ms err | kv/etcd | direct ops/s"
        + "  p50 ms  p99 ms | proxy/direct");
    for (Row r : rows) {
      OUT.printf("%-4s %-4d | %12s %7s %7s %3s | %10s %7s %7s %3s | %7s | %12s %7s %7s | %12s%n", r.op,
          r.concurrency, rate(r.kvpipe), ms(r.kvpipe, true), ms(r.kvpipe, false), err(r.kvpipe), rate(r.etcd),
          ms(r.etcd, true), ms(r.etcd, false), err(r.etcd), r.vsEtcd() == null ? "-" : r.vsEtcd() + "x",
          rate(r.direct), ms(r.direct, true), ms(r.direct, false), r.vsDirect() == null ? "-" : r.vsDirect() + "x");
    }
  }

  private static String rate(Figures f) {
    return f == null ? "-" : String.format("%,.0f", f.rate);
  }

  private static String ms(Figures f, boolean p50) {
    return f == null ? "-" : String.format("%.2f", p50 ? f.p50 : f.p99);
  }

  private static String err(Figures f) {
    return f == null ? "-" : Long.toString(f.errors);
  }

  /** Issue 18's targets, each with the figures it was judged on (null when a system was not run). */
  private static List<Object> targets(List<Row> rows) {
    List<Object> out = new ArrayList<>();
    for (Row r : rows) {
      if (r.etcd != null && r.op.equals("put") && (r.concurrency == 64 || r.concurrency == 256)) {
        out.add(target("puts >= 1.5x etcd at c=" + r.concurrency + " with p99 <= etcd's",
            r.kvpipe.rate >= 1.5 * r.etcd.rate && r.kvpipe.p99 <= r.etcd.p99,
            String.format("%.0f vs %.0f ops/s, p99 %.2f vs %.2f ms", r.kvpipe.rate, r.etcd.rate, r.kvpipe.p99,
                r.etcd.p99)));
      }
      if (r.etcd != null && r.op.equals("get")) {
        out.add(target("linearizable gets >= 1.5x etcd at c=" + r.concurrency, r.kvpipe.rate >= 1.5 * r.etcd.rate,
            String.format("%.0f vs %.0f ops/s", r.kvpipe.rate, r.etcd.rate)));
      }
      if (r.etcd != null && r.op.equals("put") && r.concurrency == 1) {
        out.add(target("c=1 put p50 <= etcd's", r.kvpipe.p50 <= r.etcd.p50,
            String.format("%.2f vs %.2f ms", r.kvpipe.p50, r.etcd.p50)));
      }
      if (r.direct != null && r.etcd != null && r.op.equals("put") && r.concurrency == 64) {
        out.add(target("straight to Ratis: puts >= 2x etcd at c=64", r.direct.rate >= 2 * r.etcd.rate,
            String.format("%.0f vs %.0f ops/s", r.direct.rate, r.etcd.rate)));
      }
      if (r.direct != null) {
        out.add(target("proxy >= 0.9x direct, " + r.op + "s at c=" + r.concurrency, r.kvpipe.rate >= 0.9 * r.direct.rate,
            String.format("%.0f vs %.0f ops/s", r.kvpipe.rate, r.direct.rate)));
      }
    }
    return out;
  }

  private static Map<String, Object> target(String what, boolean met, String figures) {
    OUT.printf("target %-55s %-6s (%s)%n", what + ":", met ? "MET" : "MISSED", figures);
    return JsonReport.map("target", what, "met", met, "figures", figures);
  }
}
