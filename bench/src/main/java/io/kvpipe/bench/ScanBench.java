package io.kvpipe.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvpipe.testsupport.bench.JsonReport;
import io.kvpipe.testsupport.load.KvHttp;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Prefix-scan benchmark: 3 kv-node processes (meta, g1, g2) and one proxy process; N keys bulk-loaded straight into g1
 * and g2 by ring ownership, then whole scans of their prefix through the proxy ({@code GET /v1/kv?prefix=…}, one
 * client following the continuation tokens), keys only and with values, alternating, several trials each. Every
 * scan must return exactly N keys. Reports keys/s and pages/s per kind (median and each trial).
 */
public final class ScanBench {
  private static final PrintStream OUT = System.out;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PREFIX = "bench-";

  private final long keys;
  private final int valueBytes;
  private final int limit;
  private final int loadBatch;
  private final int trials;
  private final Path work;
  private final Path out;
  private final KvStack.Options options;

  private ScanBench(BenchArgs a) {
    this.keys = a.integer("keys", 1_000_000);
    this.valueBytes = a.integer("value-bytes", 100);
    this.limit = a.integer("limit", 1000);
    this.loadBatch = a.integer("load-batch", 1000);
    this.trials = a.integer("trials", 3);
    this.work = Path.of(a.string("work-dir", "target/bench-work"));
    this.out = Path.of(a.string("out", "target/bench"));
    this.options = KvStack.Options.from(a).withProxyArgs("--request-timeout-ms", "20000");
  }

  public static void main(String[] args) throws Exception {
    ScanBench bench = new ScanBench(new BenchArgs(args));
    JsonReport report = new JsonReport("scan").put("settings", JsonReport.map("keys", bench.keys,
        "value_bytes", bench.valueBytes, "limit", bench.limit, "trials", bench.trials, "replicas", 3,
        "groups", 2, "fsync", true));
    bench.run(report);
    Path file = report.write(bench.out);
    OUT.println("wrote " + file.toAbsolutePath());
    System.exit(0);
  }

  private void run(JsonReport report) throws Exception {
    Path dir = Files.createDirectories(work).resolve("scan-" + System.currentTimeMillis());
    try (KvStack stack = KvStack.start(dir, options, OUT)) {
      byte[] value = new byte[valueBytes];
      ThreadLocalRandom.current().nextBytes(value);
      OUT.printf("== bulk load: %,d keys of %d bytes into g1, g2 (PutAll batches of %d)%n", keys, valueBytes,
          loadBatch);
      double loadRate = new BulkLoader(stack.ring(), stack.clients(), loadBatch, OUT).load(keys, value);
      report.put("bulk_load_keys_per_s", Math.round(loadRate));
      KvHttp data = stack.data();
      // A first scan warms the JIT of the proxy and the nodes; it is not counted.
      OUT.println("== warm-up scan");
      scan(data, false);
      List<Double> keysOnly = new ArrayList<>();
      List<Double> withValues = new ArrayList<>();
      for (int t = 1; t <= trials; t++) {
        for (boolean values : new boolean[] {false, true}) {
          double rate = scan(data, values);
          (values ? withValues : keysOnly).add(rate);
        }
      }
      report.put("keys_only", summary(keysOnly)).put("with_values", summary(withValues));
      OUT.printf("== median: keys only %,.0f keys/s, with values %,.0f keys/s%n", median(keysOnly),
          median(withValues));
    }
  }

  /** One whole scan of the prefix; returns keys per second. */
  private double scan(KvHttp data, boolean values) throws Exception {
    String base = "/v1/kv?prefix=" + URLEncoder.encode(PREFIX, StandardCharsets.UTF_8) + "&limit=" + limit
        + (values ? "&values=true" : "");
    long n = 0;
    int pages = 0;
    String token = null;
    long t0 = System.nanoTime();
    do {
      KvHttp.Response r = data.json("GET", base + (token == null ? "" : "&token=" + token), null);
      if (r.status() != 200) {
        throw new IllegalStateException("page " + pages + ": HTTP " + r.status() + " " + r.bodyText());
      }
      JsonNode body = JSON.readTree(r.body());
      n += body.get("items").size();
      token = body.has("next") ? body.get("next").asText() : null;
      pages++;
    } while (token != null);
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (n != keys) {
      throw new IllegalStateException("the scan returned " + n + " keys, not " + keys);
    }
    double rate = n / seconds;
    OUT.printf("  %-11s %,d keys in %,d pages, %.1f s: %,.0f keys/s, %.0f pages/s%n",
        values ? "with values" : "keys only", n, pages, seconds, rate, pages / seconds);
    return rate;
  }

  private static Map<String, Object> summary(List<Double> rates) {
    return JsonReport.map("median_keys_per_s", Math.round(median(rates)),
        "trials_keys_per_s", rates.stream().map(Math::round).toList());
  }

  private static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(null);
    return s.isEmpty() ? 0 : s.get(s.size() / 2);
  }
}
