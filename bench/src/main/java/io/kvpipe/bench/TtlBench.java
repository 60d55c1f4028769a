package io.kvpipe.bench;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import io.kvpipe.common.wire.ScanCursor;
import io.kvpipe.testsupport.Ports;
import io.kvpipe.testsupport.bench.JsonReport;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * TTL collection benchmark (docs/ttl.md): N keys put with one TTL, then how fast they are collected once due —
 * kvpipe (3 kv-node processes, groups g1, g2, fsync on, CDC off; puts straight to the groups, pipelined) against a
 * real peer, Redis (a local redis-server, no persistence, keys loaded with {@code redis-cli --pipe} as
 * {@code SET k v PX ttl}). Collected means gone from the store: for kvpipe no live record left in any group (the
 * group's own scan, as stored: reads hide a key from its deadline on already); for Redis {@code DBSIZE} 0 (it counts
 * keys past their deadline until its active expiry reclaims them). Reported: the load rate, the lag from the last
 * deadline to all collected (the comparable figure: each key's deadline is its put's time plus the TTL, so the
 * deadlines are spread like the load), and the collection rate over [first deadline, all collected], which cannot
 * exceed the load rate. kvpipe's lag includes up to one 250 ms poll of the full scan.
 */
public final class TtlBench {
  private static final PrintStream OUT = System.out;

  private final int keys;
  private final int valueBytes;
  private final int ttlSeconds;
  private final int inFlight;
  private final Path work;
  private final Path out;
  private final KvStack.Options options;

  private TtlBench(BenchArgs a) {
    this.keys = a.integer("keys", 50_000);
    this.valueBytes = a.integer("value-bytes", 100);
    this.ttlSeconds = a.integer("ttl-s", 40);
    this.inFlight = a.integer("in-flight", 256);
    this.work = Path.of(a.string("work-dir", "target/bench-work"));
    this.out = Path.of(a.string("out", "target/bench"));
    this.options = KvStack.Options.from(a);
  }

  public static void main(String[] args) throws Exception {
    TtlBench bench = new TtlBench(new BenchArgs(args));
    JsonReport report = new JsonReport("ttl").put("settings", JsonReport.map("keys", bench.keys,
        "value_bytes", bench.valueBytes, "ttl_s", bench.ttlSeconds, "in_flight", bench.inFlight, "replicas", 3,
        "groups", 2, "fsync", true, "cdc", false, "expiry_batch_keys", 500, "expiry_poll_ms", 100));
    Map<String, Object> kv = bench.kvpipe();
    Map<String, Object> redis = bench.redis();
    report.put("kvpipe", kv).put("redis", redis);
    // The deadlines are as spread as the load was, so the collection rate mostly repeats the load rate; what tells
    // how well each keeps up is how long after the last deadline the last key went.
    double ratio = ((Number) kv.get("collected_ms_after_last_deadline")).doubleValue()
        / Math.max(1, ((Number) redis.get("collected_ms_after_last_deadline")).doubleValue());
    report.put("ratio_lag_after_last_deadline_kvpipe_vs_redis", Math.round(ratio * 1000) / 1000.0);
    OUT.printf("== lag after the last deadline, kvpipe / redis: %.3f%n", ratio);
    Path file = report.write(bench.out);
    OUT.println("wrote " + file.toAbsolutePath());
    System.exit(0);
  }

  static String key(int i) {
    return String.format("ttl-%09d", i);
  }

  private Map<String, Object> kvpipe() throws Exception {
    Path dir = Files.createDirectories(work).resolve("ttl-" + System.currentTimeMillis());
    try (KvStack stack = KvStack.start(dir, options, OUT)) {
      byte[] value = new byte[valueBytes];
      long ttlMs = ttlSeconds * 1000L;
      OUT.printf("== kvpipe: %,d puts with a TTL of %d s (%d in flight)%n", keys, ttlSeconds, inFlight);
      Semaphore slots = new Semaphore(inFlight);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      long start = System.currentTimeMillis();
      for (int i = 0; i < keys && failure.get() == null; i++) {
        String k = key(i);
        ShardGroupClient c = stack.client(stack.ring().groupFor(k.getBytes(StandardCharsets.UTF_8)));
        slots.acquire();
        c.putAsync(k, value, Request.ANY_VERSION, ttlMs).whenComplete((w, e) -> {
          if (e != null) {
            failure.compareAndSet(null, e);
          }
          slots.release();
        });
      }
      slots.acquire(inFlight);
      if (failure.get() != null) {
        throw new IllegalStateException("a put failed", failure.get());
      }
      long loaded = System.currentTimeMillis();
      OUT.printf("   loaded in %.1f s: %,.0f puts/s%n", (loaded - start) / 1e3, keys * 1e3 / (loaded - start));
      return collect("kvpipe", start, loaded, ttlMs, () -> live(stack));
    }
  }

  /** Live records (as stored) in both groups: a full scan of each, as the admin scan does. */
  private static long live(KvStack stack) {
    long n = 0;
    for (String g : stack.groups()) {
      ScanCursor after = null;
      do {
        Reply.ScanPage page = stack.client(g).scan(HashRanges.FULL, after, 10_000);
        for (Entry e : page.entries()) {
          n += e.deleted() ? 0 : 1;
        }
        after = page.next();
      } while (after != null);
    }
    return n;
  }

  private Map<String, Object> redis() throws Exception {
    int port = Ports.freePort();
    Path dir = Files.createDirectories(work).resolve("redis-" + System.currentTimeMillis());
    Files.createDirectories(dir);
    Process server = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--dir", dir.toAbsolutePath().toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
    try {
      long until = System.currentTimeMillis() + 20_000;
      while (!cli(port, "PING").equals("PONG")) {
        if (System.currentTimeMillis() > until || !server.isAlive()) {
          throw new IllegalStateException("redis-server did not start: " + Files.readString(dir.resolve("redis.log")));
        }
        Thread.sleep(50);
      }
      long ttlMs = ttlSeconds * 1000L;
      OUT.printf("== redis: %,d SET PX %d via redis-cli --pipe%n", keys, ttlMs);
      String value = "x".repeat(valueBytes);
      long start = System.currentTimeMillis();
      Process pipe = new ProcessBuilder("redis-cli", "-p", Integer.toString(port), "--pipe").redirectErrorStream(true)
          .redirectOutput(dir.resolve("pipe.log").toFile()).start();
      try (OutputStream o = new BufferedOutputStream(pipe.getOutputStream(), 1 << 16)) {
        for (int i = 0; i < keys; i++) {
          resp(o, "SET", key(i), value, "PX", Long.toString(ttlMs));
        }
      }
      if (!pipe.waitFor(120, TimeUnit.SECONDS) || pipe.exitValue() != 0) {
        throw new IllegalStateException("redis-cli --pipe failed: " + Files.readString(dir.resolve("pipe.log")));
      }
      long loaded = System.currentTimeMillis();
      OUT.printf("   loaded in %.1f s%n", (loaded - start) / 1e3);
      return collect("redis", start, loaded, ttlMs, () -> Long.parseLong(cli(port, "DBSIZE")));
    } finally {
      server.destroy();
      server.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static void resp(OutputStream o, String... args) throws IOException {
    StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
    for (String a : args) {
      sb.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
    }
    o.write(sb.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static String cli(int port, String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("redis-cli", "-p", Integer.toString(port), command).redirectErrorStream(true)
        .start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    p.waitFor(10, TimeUnit.SECONDS);
    return text;
  }

  interface Count {
    long get() throws Exception;
  }

  /** Waits until {@code live} is 0; the times are the wall clock of this JVM, the one the deadlines derive from. */
  private Map<String, Object> collect(String who, long loadStart, long loadEnd, long ttlMs, Count live)
      throws Exception {
    long firstDue = loadStart + ttlMs;
    long lastDue = loadEnd + ttlMs;
    if (loadEnd >= firstDue) {
      OUT.printf("   warning: loading took longer than the TTL; collection overlapped the load%n");
    }
    long deadline = lastDue + Math.max(600_000, ttlMs);
    long n;
    long done;
    while (true) {
      n = live.get();
      done = System.currentTimeMillis();
      if (n == 0) {
        break;
      }
      if (done > deadline) {
        throw new IllegalStateException(who + ": " + n + " keys still not collected 10 minutes after their deadline");
      }
      Thread.sleep(done < firstDue ? Math.min(1000, firstDue - done) : 250);
    }
    double rate = keys * 1000.0 / Math.max(1, done - firstDue);
    long lag = done - lastDue;
    OUT.printf("   %s: all %,d collected %,d ms after the last deadline; %,.0f keys/s over [first deadline, done]%n",
        who, keys, lag, rate);
    return JsonReport.map("load_keys_per_s", Math.round(keys * 1000.0 / Math.max(1, loadEnd - loadStart)),
        "load_ms", loadEnd - loadStart, "collected_ms_after_last_deadline", lag,
        "collect_window_ms", done - firstDue, "collect_keys_per_s", Math.round(rate));
  }
}
