package io.kvpipe.proxy;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.testsupport.bench.ClosedLoop;
import io.kvpipe.testsupport.bench.JsonReport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Proxy benchmark (issue 5): 3 kv-node processes (meta + g1 + g2), one proxy in this JVM; closed-loop puts and
 * linearizable gets at concurrency c through the proxy (HTTP) and straight to the same groups with the Ratis client, alternating in slices
 * (routed by the same ring), in one run. HTTP load comes from {@link RawHttpConnection}s (one keep-alive connection
 * per logical client) so the load generator's own cost stays close to the Ratis client's. Prints progress, the proxy/direct ratios and the comparison with etcd's
 * reference; writes JSON under target/bench/. Flags: --seconds N (per phase, default 15), --concurrency C (64),
 * --keys K (10000), --value-bytes B (100).
 */
public final class ProxyBench {
  static final double ETCD_PUTS_AT_64 = 3_900;

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>(Map.of("seconds", "15", "concurrency", "64", "keys", "10000",
        "value-bytes", "100"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--") || !opts.containsKey(args[i].substring(2))) {
        throw new IllegalArgumentException("unknown option " + args[i] + " (known: " + opts.keySet() + ")");
      }
      opts.put(args[i].substring(2), args[i + 1]);
    }
    Duration phase = Duration.ofSeconds(Long.parseLong(opts.get("seconds")));
    int c = Integer.parseInt(opts.get("concurrency"));
    int keys = Integer.parseInt(opts.get("keys"));
    byte[] value = new byte[Integer.parseInt(opts.get("value-bytes"))];
    ThreadLocalRandom.current().nextBytes(value);
    String[] keyNames = new String[keys];
    for (int i = 0; i < keys; i++) {
      keyNames[i] = String.format("bench-%09d", i);
    }

    Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "kvpipe-proxy-bench");
    System.out.println("starting 3 kv-nodes (meta, g1, g2) under " + dir);
    try (ProxyTestCluster cluster = new ProxyTestCluster(dir)) {
      ProxyServer proxy = cluster.startProxy(cluster.config(1 << 20));
      System.out.println("proxy listening on " + ProxyTestCluster.base(proxy));
      HashRing ring = proxy.watcher().current().topology().ring().toRing();
      Map<String, ShardGroupClient> direct = new LinkedHashMap<>();
      for (ShardGroup g : cluster.shardGroups()) {
        direct.put(g.id(), ShardGroupClient.builder(g.id(),
            g.peers().stream().map(p -> PeerAddress.parse(p.toString())).toList()).build());
      }
      String[] owner = new String[keys];
      for (int i = 0; i < keys; i++) {
        owner[i] = ring.groupFor(keyNames[i].getBytes(StandardCharsets.UTF_8));
      }
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
      String base = ProxyTestCluster.base(proxy) + "/v1/kv/";
      String auth = "Bearer " + ProxyTestCluster.DATA_TOKEN;
      URI[] uris = new URI[keys];
      for (int i = 0; i < keys; i++) {
        uris[i] = URI.create(base + keyNames[i]);
      }

      java.util.concurrent.ExecutorService hop = Executors.newVirtualThreadPerTaskExecutor();
      java.util.function.IntFunction<CompletableFuture<?>> directPut = n -> {
        int k = ThreadLocalRandom.current().nextInt(keys);
        // Complete on our own executor: the closed loop issues the next call from this completion, and a new async
        // call issued from a Ratis client's reply thread can stall that client (seen here: every call outstanding).
        return direct.get(owner[k]).putAsync(keyNames[k], value).thenApplyAsync(w -> w, hop);
      };
      java.util.function.IntFunction<CompletableFuture<?>> directGet = n -> {
        int k = ThreadLocalRandom.current().nextInt(keys);
        return direct.get(owner[k]).getAsync(keyNames[k]).thenApplyAsync(e -> e, hop);
      };
      // One keep-alive connection per logical client, driven by a virtual thread per request.
      RawHttpConnection[] conns = new RawHttpConnection[c];
      for (int i = 0; i < c; i++) {
        conns[i] = new RawHttpConnection("127.0.0.1", proxy.port());
      }
      byte[][] putHeads = new byte[keys][];
      byte[][] getHeads = new byte[keys][];
      for (int i = 0; i < keys; i++) {
        String hdrs = " /v1/kv/" + keyNames[i] + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + auth + "\r\n";
        putHeads[i] = ("PUT" + hdrs).getBytes(StandardCharsets.US_ASCII);
        getHeads[i] = ("GET" + hdrs).getBytes(StandardCharsets.US_ASCII);
      }
      java.util.function.IntFunction<CompletableFuture<?>> proxyPut = n -> raw(conns[n],
          putHeads[ThreadLocalRandom.current().nextInt(keys)], value, hop);
      java.util.function.IntFunction<CompletableFuture<?>> proxyGet = n -> raw(conns[n],
          getHeads[ThreadLocalRandom.current().nextInt(keys)], null, hop);

      System.out.println("warm-up (loads every key, then " + Math.min(10, phase.toSeconds())
          + " s of mixed load)");
      // Load every key through the proxy with at most `c` puts in flight (a deeper pipeline only measures queueing).
      java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(c);
      java.util.concurrent.atomic.AtomicLong loadErrors = new java.util.concurrent.atomic.AtomicLong();
      for (int i = 0; i < keys; i++) {
        window.acquire();
        proxyPutOf(http, uris[i], auth, value).whenComplete((r, err) -> {
          if (err != null) {
            loadErrors.incrementAndGet();
          }
          window.release();
        });
      }
      window.acquire(c);
      window.release(c);
      System.out.println("  loaded " + keys + " keys (" + loadErrors.get() + " errors)");
      Duration warm = Duration.ofSeconds(Math.min(10, phase.toSeconds()));
      new ClosedLoop("warm-up proxy put", c, warm, proxyPut, System.out).run();
      new ClosedLoop("warm-up direct put", c, warm, directPut, System.out).run();

      // Direct and proxy phases alternate in short slices, so a change in the (shared) machine's load between phases
      // does not masquerade as a difference between the two paths.
      ClosedLoop.Result[] puts = alternate("direct put", directPut, "proxy put", proxyPut, c, phase);
      ClosedLoop.Result[] gets = alternate("direct get", directGet, "proxy get", proxyGet, c, phase);
      ClosedLoop.Result dPut = puts[0];
      ClosedLoop.Result pPut = puts[1];
      ClosedLoop.Result dGet = gets[0];
      ClosedLoop.Result pGet = gets[1];

      double putRatio = pPut.opsPerSecond() / dPut.opsPerSecond();
      double getRatio = pGet.opsPerSecond() / dGet.opsPerSecond();
      double vsEtcd = pPut.opsPerSecond() / ETCD_PUTS_AT_64;
      System.out.println();
      System.out.println("== proxy benchmark, c=" + c + ", " + value.length + "-byte values, " + keys + " keys ==");
      for (ClosedLoop.Result r : new ClosedLoop.Result[] {dPut, pPut, dGet, pGet}) {
        System.out.println("  " + r.summary());
      }
      System.out.printf("  proxy/direct put ratio %.2f (target >= 0.9) %s%n", putRatio, putRatio >= 0.9 ? "OK" : "BELOW");
      System.out.printf("  proxy/direct get ratio %.2f (target >= 0.9) %s%n", getRatio, getRatio >= 0.9 ? "OK" : "BELOW");
      System.out.printf("  proxy puts vs etcd's ~%.0f/s at c=64: %.2fx (target >= 1.5x) %s%n", ETCD_PUTS_AT_64, vsEtcd,
          vsEtcd >= 1.5 ? "OK" : "BELOW");

      JsonReport report = new JsonReport("proxy")
          .put("params", JsonReport.map("concurrency", c, "seconds_per_phase", phase.toSeconds(), "keys", keys,
              "value_bytes", value.length, "kv_nodes", 3, "groups", 2, "replicas", 3))
          .put("direct_put", dPut.toMap()).put("proxy_put", pPut.toMap())
          .put("direct_get", dGet.toMap()).put("proxy_get", pGet.toMap())
          .put("put_ratio", Math.round(putRatio * 100) / 100.0).put("get_ratio", Math.round(getRatio * 100) / 100.0)
          .put("etcd_reference_puts_per_s", ETCD_PUTS_AT_64).put("proxy_put_vs_etcd", Math.round(vsEtcd * 100) / 100.0);
      System.out.println("  report: " + report.write(Path.of("target", "bench")));
      direct.values().forEach(ShardGroupClient::close);
      for (RawHttpConnection conn : conns) {
        conn.close();
      }
      http.close();
    }
  }

  static final int ROUNDS = 3;

  private static ClosedLoop.Result[] alternate(String nameA, java.util.function.IntFunction<CompletableFuture<?>> a,
                                               String nameB, java.util.function.IntFunction<CompletableFuture<?>> b,
                                               int c, Duration total) throws Exception {
    Duration slice = total.dividedBy(ROUNDS);
    java.util.List<ClosedLoop.Result> ra = new java.util.ArrayList<>();
    java.util.List<ClosedLoop.Result> rb = new java.util.ArrayList<>();
    for (int r = 0; r < ROUNDS; r++) {
      ra.add(run(nameA + " (" + (r + 1) + "/" + ROUNDS + ")", c, slice, a));
      rb.add(run(nameB + " (" + (r + 1) + "/" + ROUNDS + ")", c, slice, b));
    }
    return new ClosedLoop.Result[] {merge(nameA, c, ra), merge(nameB, c, rb)};
  }

  /** Totals of the slices; latency percentiles are the median of the slices' (exact within each slice). */
  private static ClosedLoop.Result merge(String name, int c, java.util.List<ClosedLoop.Result> parts) {
    long ops = parts.stream().mapToLong(ClosedLoop.Result::ops).sum();
    long errors = parts.stream().mapToLong(ClosedLoop.Result::errors).sum();
    double seconds = parts.stream().mapToDouble(ClosedLoop.Result::seconds).sum();
    java.util.function.ToDoubleFunction<java.util.function.ToDoubleFunction<
        io.kvpipe.testsupport.bench.LatencyRecorder.Percentiles>> median = f -> parts.stream()
        .mapToDouble(p -> f.applyAsDouble(p.latencyMs())).sorted().toArray()[parts.size() / 2];
    var latency = new io.kvpipe.testsupport.bench.LatencyRecorder.Percentiles(
        parts.stream().mapToInt(p -> p.latencyMs().samples()).sum(),
        median.applyAsDouble(p -> p.p50()), median.applyAsDouble(p -> p.p99()), median.applyAsDouble(p -> p.p999()),
        parts.stream().mapToDouble(p -> p.latencyMs().max()).max().orElse(0));
    String lastError = parts.stream().map(ClosedLoop.Result::lastError).filter(java.util.Objects::nonNull)
        .reduce((x, y) -> y).orElse(null);
    return new ClosedLoop.Result(name, c, seconds, ops, errors, ops / seconds, latency, lastError);
  }

  private static ClosedLoop.Result run(String name, int c, Duration d,
                                       java.util.function.IntFunction<CompletableFuture<?>> op) throws Exception {
    System.out.println(name + " for " + d.toSeconds() + " s at c=" + c);
    ClosedLoop.Result r = new ClosedLoop(name, c, d, op, System.out).run();
    System.out.println("  => " + r.summary());
    return r;
  }

  private static CompletableFuture<?> raw(RawHttpConnection conn, byte[] head, byte[] body,
                                          java.util.concurrent.Executor exec) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        int status = conn.exchange(head, body);
        if (status >= 300) {
          throw new IllegalStateException("HTTP " + status);
        }
        return status;
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }, exec);
  }

  private static CompletableFuture<?> proxyPutOf(HttpClient http, URI uri, String auth, byte[] value) {
    return check(http.sendAsync(HttpRequest.newBuilder(uri).header("Authorization", auth)
        .PUT(HttpRequest.BodyPublishers.ofByteArray(value)).build(), HttpResponse.BodyHandlers.discarding())
        .orTimeout(10, java.util.concurrent.TimeUnit.SECONDS));
  }

  private static <T> CompletableFuture<HttpResponse<T>> check(CompletableFuture<HttpResponse<T>> f) {
    return f.thenApply(r -> {
      if (r.statusCode() >= 300) {
        throw new IllegalStateException("HTTP " + r.statusCode());
      }
      return r;
    });
  }
}
