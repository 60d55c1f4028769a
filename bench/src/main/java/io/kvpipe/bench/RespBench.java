package io.kvpipe.bench;

import io.kvpipe.testsupport.Ports;
import io.kvpipe.testsupport.bench.JsonReport;
import io.kvpipe.testsupport.bench.ProcessCpu;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Issue 17's Redis-protocol figures: Debian's {@code redis-benchmark -t set,get -n N -c C -P P} against the proxy's
 * RESP port, beside the same operations through the proxy's HTTP API and through a 3-member etcd's HTTP gateway,
 * both driven by wrk at the same concurrency (as in {@link ProxyBench}), in one run. Every system is its own
 * process(es): 3 kv-nodes and a proxy (KvStack), 3 etcd members, redis-benchmark, wrk. redis-benchmark draws its
 * keys from {@code -r} random ones and sends {@code -d}-byte values, wrk 16-byte keys and the same value size.
 */
public final class RespBench {
  private static final PrintStream OUT = System.out;

  private final BenchArgs args;
  private final int requests;
  private final int clients;
  private final List<Integer> pipelines;
  private final int keys;
  private final int valueBytes;
  private final int httpSeconds;
  private final int warmUp;
  private final boolean withEtcd;
  private final Path work;

  private RespBench(BenchArgs a) {
    this.args = a;
    this.requests = a.integer("requests", 200_000);
    this.clients = a.integer("clients", 64);
    this.pipelines = a.integers("pipeline", "1,16");
    this.keys = a.integer("keys", 10_000);
    this.valueBytes = a.integer("value-bytes", 100);
    this.httpSeconds = a.integer("http-seconds", 20);
    this.warmUp = a.integer("warmup-seconds", 30);
    this.withEtcd = Boolean.parseBoolean(a.string("etcd", "true"));
    this.work = Path.of(a.string("work-dir", "target/bench-work")).resolve("resp-" + System.currentTimeMillis());
  }

  public static void main(String[] argv) throws Exception {
    BenchArgs a = new BenchArgs(argv);
    JsonReport report = new JsonReport("resp");
    new RespBench(a).run(report);
    Path file = report.write(Path.of(a.string("out", "target/bench")));
    OUT.println("wrote " + file.toAbsolutePath());
    System.exit(0);
  }

  private void run(JsonReport report) throws Exception {
    Files.createDirectories(work);
    int respPort = Ports.freePort();
    KvStack.Options options = KvStack.Options.from(args).withProxyArgs("--resp-port", Integer.toString(respPort));
    report.put("settings", JsonReport.map("requests", requests, "clients", clients, "pipeline", pipelines,
        "random_keys", keys, "value_bytes", valueBytes, "http_seconds", httpSeconds, "warmup_seconds", warmUp,
        "resp_load_generator", "redis-benchmark (Debian, " + version("redis-benchmark") + ")",
        "http_load_generator", "wrk (Debian) + scripts/wrk/kv.lua, keep-alive, one request per connection at a time"));
    report.put("kvpipe", options.describe());
    Path pidFile = args.string("pid-file", "").isEmpty() ? null : Path.of(args.string("pid-file", ""));
    String etcdBinary = args.string("etcd-binary", "etcd");
    EtcdCluster etcd = withEtcd ? EtcdCluster.start(etcdBinary, pidFile, OUT) : null;
    Wrk wrk = new Wrk(Path.of(args.string("wrk-script", "scripts/wrk/kv.lua")), work.resolve("wrk.log"), keys,
        valueBytes);
    try (KvStack stack = KvStack.start(work.resolve("kvpipe"), options, OUT)) {
      String etcdUrl = etcd == null ? null : etcd.url(etcd.leader());
      byte[] value = KvShape.value(valueBytes);
      OUT.printf("== loading %,d keys into kvpipe (for the HTTP gets) and etcd%n", keys);
      new BulkLoader(stack.ring(), stack.clients(), 1000, OUT).load(keys, KvShape::key, value);
      if (etcd != null) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < keys; i++) {
          names.add(KvShape.key(i));
        }
        etcd.load(names, value);
      }
      if (warmUp > 0) {
        OUT.printf("== warm-up (JITs): redis-benchmark and wrk on kvpipe, about %d s%n", warmUp);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmUp);
        while (System.nanoTime() < end) {
          redisBenchmark(respPort, Math.max(10_000, requests / 10), 16);
          wrk.run(stack.proxyUrl(), "kvpipe", "put", clients, 2, Duration.ofSeconds(3), KvStack.DATA_TOKEN);
          wrk.run(stack.proxyUrl(), "kvpipe", "get", clients, 2, Duration.ofSeconds(2), KvStack.DATA_TOKEN);
        }
      }
      List<Object> rows = new ArrayList<>();
      Map<String, Double> rate = new LinkedHashMap<>();
      for (int p : pipelines) {
        OUT.printf("== redis-benchmark -t set,get -n %d -c %d -P %d -r %d -d %d%n", requests, clients, p, keys,
            valueBytes);
        Map<String, Map<String, Object>> r = redisBenchmark(respPort, requests, p);
        r.forEach((test, f) -> {
          OUT.printf("   RESP %-3s P=%-2d %,10.0f ops/s  p50 %6.2f ms  p99 %6.2f ms  errors %s%n", test, p,
              (double) f.get("ops_per_s"), (double) f.get("p50_ms"), (double) f.get("p99_ms"), f.get("errors"));
          rate.put("resp_" + test + "_P" + p, (double) f.get("ops_per_s"));
          Map<String, Object> row = new LinkedHashMap<>(JsonReport.map("system", "kvpipe RESP", "op",
              test.equals("SET") ? "put" : "get", "clients", clients, "pipeline", p));
          row.putAll(f);
          rows.add(row);
        });
      }
      for (String op : List.of("put", "get")) {
        for (String system : etcd == null ? List.of("kvpipe") : List.of("kvpipe", "etcd")) {
          String url = system.equals("etcd") ? etcdUrl : stack.proxyUrl();
          Wrk.Result r = wrk.run(url, system, op, clients, 2, Duration.ofSeconds(httpSeconds),
              system.equals("kvpipe") ? KvStack.DATA_TOKEN : null);
          String name = system.equals("kvpipe") ? "kvpipe HTTP" : "etcd HTTP";
          OUT.printf("   %-11s %-3s c=%d %,10.0f ops/s  p50 %6.2f ms  p99 %6.2f ms  errors %d%n", name, op, clients,
              r.rate(), r.p50(), r.p99(), r.errors());
          rate.put(system + "_http_" + op, r.rate());
          Map<String, Object> row = new LinkedHashMap<>(JsonReport.map("system", name, "op", op, "clients", clients,
              "pipeline", 1));
          row.putAll(r.toMap());
          rows.add(row);
        }
      }
      report.put("results", rows);
      Map<String, Object> ratios = new LinkedHashMap<>();
      for (String op : List.of("put", "get")) {
        String test = op.equals("put") ? "SET" : "GET";
        for (int p : pipelines) {
          Double resp = rate.get("resp_" + test + "_P" + p);
          ratio(ratios, "resp_P" + p + "_vs_http_" + op, resp, rate.get("kvpipe_http_" + op));
          ratio(ratios, "resp_P" + p + "_vs_etcd_" + op, resp, rate.get("etcd_http_" + op));
        }
      }
      report.put("ratios", ratios);
      OUT.println("ratios: " + ratios);
      report.put("logs", JsonReport.map("redis_benchmark", work.resolve("redis-benchmark.log").toString(), "wrk",
          work.resolve("wrk.log").toString()));
    } finally {
      if (etcd != null) {
        etcd.close();
      }
    }
  }

  private static void ratio(Map<String, Object> out, String name, Double a, Double b) {
    if (a != null && b != null && b > 0) {
      out.put(name, ProcessCpu.round(3, a / b));
    }
  }

  /** Runs redis-benchmark with --csv; per test (SET, GET): ops/s, latencies and error replies seen. */
  private Map<String, Map<String, Object>> redisBenchmark(int port, int n, int pipeline)
      throws IOException, InterruptedException {
    List<String> cmd = List.of("redis-benchmark", "-h", "127.0.0.1", "-p", Integer.toString(port), "-a",
        KvStack.DATA_TOKEN, "-t", "set,get", "-n", Integer.toString(n), "-c", Integer.toString(clients), "-P",
        Integer.toString(pipeline), "-r", Integer.toString(keys), "-d", Integer.toString(valueBytes), "--csv");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("redis-benchmark failed:\n" + text);
    }
    Files.writeString(work.resolve("redis-benchmark.log"), "$ " + String.join(" ", cmd).replace(KvStack.DATA_TOKEN,
        "<token>") + "\n" + text + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    long errors = text.lines().filter(l -> l.startsWith("Error from server")).count();
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    List<String> header = null;
    for (String line : text.lines().toList()) {
      if (!line.startsWith("\"")) {
        continue;
      }
      List<String> cells = new ArrayList<>();
      for (String c : line.split(",")) {
        cells.add(c.replace("\"", ""));
      }
      if (cells.get(0).equals("test")) {
        header = cells;
        continue;
      }
      if (header == null) {
        continue;
      }
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("requests", n);
      f.put("ops_per_s", Double.parseDouble(cells.get(header.indexOf("rps"))));
      f.put("avg_ms", Double.parseDouble(cells.get(header.indexOf("avg_latency_ms"))));
      f.put("p50_ms", Double.parseDouble(cells.get(header.indexOf("p50_latency_ms"))));
      f.put("p99_ms", Double.parseDouble(cells.get(header.indexOf("p99_latency_ms"))));
      f.put("max_ms", Double.parseDouble(cells.get(header.indexOf("max_latency_ms"))));
      f.put("errors", errors);
      out.put(cells.get(0), f);
    }
    if (!out.containsKey("SET") || !out.containsKey("GET")) {
      throw new IllegalStateException("redis-benchmark printed no SET/GET figures:\n" + text);
    }
    return out;
  }

  private static String version(String binary) {
    try {
      Process p = new ProcessBuilder(binary, "--version").redirectErrorStream(true).start();
      String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      p.waitFor();
      return v;
    } catch (IOException e) {
      return "unknown (" + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }
}
