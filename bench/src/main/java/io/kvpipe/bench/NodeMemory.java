package io.kvpipe.bench;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.bench.JsonReport;
import io.kvpipe.testsupport.ratis.KvNodeCluster;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code keys} records of {@code keyBytes + valueBytes} cost a kv-node in memory (issue 15: RSS at most 2.5x the
 * raw data). Each node of a fresh cluster is read before and after a bulk load that every replica has applied: its
 * resident set (VmRSS) and its live heap after a full GC (jcmd GC.run, then the JVM's own heap meter). The RSS is what
 * an operator sizes a machine by; the live heap growth per key is what the store's data structures cost, without the
 * JVM's fixed footprint and the collector's headroom.
 */
final class NodeMemory {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final Pattern HEAP = Pattern.compile("(?m)^jvm_memory_used_bytes\\{area=\"heap\"[^}]*\\} (\\S+)$");
  private static final Pattern RECORDS = Pattern.compile("(?m)^kvpipe_shard_records\\{[^}]*group=\"([^\"]+)\"[^}]*\\} (\\S+)$");

  private final KvNodeCluster cluster;
  private final String group;
  private final PrintStream out;
  /** Where each reading's full NMT summary and /proc/PID/smaps are kept (for a breakdown by mapping). */
  private final Path dumps;
  /**
   * How long the loaded nodes are left idle before one more reading ({@code rest}; zero: none). The reading after the
   * load is taken at once, right after the full collection the class histogram makes; a node at rest then runs its own
   * periodic collection and native trim (config/jvm/kv-node.options), and this says what it holds once they ran.
   */
  private final Duration rest;

  NodeMemory(KvNodeCluster cluster, String group, PrintStream out, Path dumps, Duration rest) {
    this.cluster = cluster;
    this.group = group;
    this.out = out;
    this.dumps = dumps;
    this.rest = rest;
  }

  /**
   * One node at one moment; {@code nmtCommittedKib}: the JVM's native memory tracking summary (committed KiB by area:
   * Java Heap, Class, Thread, Code, GC, Other (direct buffers), ...) when the node runs with
   * -XX:NativeMemoryTracking=summary (bench-node --node-jvm), else empty.
   */
  record Reading(long rssBytes, long rssAnonBytes, long liveHeapBytes, Map<String, Long> nmtCommittedKib) {}

  private static final Pattern NMT_AREA =
      Pattern.compile("(?m)^-\\s+(\\S.*?) \\(reserved=\\d+KB, committed=(\\d+)KB\\)");
  private static final Pattern NMT_TOTAL = Pattern.compile("(?m)^Total: reserved=\\d+KB, committed=(\\d+)KB");

  Map<String, Object> measure(ShardGroupClient client, long keys, LongFunction<String> keyOf, int keyBytes,
                              byte[] value) throws Exception {
    Map<String, Reading> before = readAll("before");
    out.printf("memory: before the load %s%n", describe(before));
    BulkLoader loader = new BulkLoader(HashRing.of(List.of(group), 64), Map.of(group, client), 1_000, out);
    double rate = loader.load(keys, keyOf, value);
    for (String node : cluster.nodeIds()) {
      Poll.until(node + " applied all " + keys + " records", Duration.ofMinutes(5),
          () -> records(cluster.metricsPort(node)) >= keys);
    }
    Map<String, Reading> after = readAll("after");
    out.printf("memory: after %,d records %s%n", keys, describe(after));
    Map<String, long[]> atRest = Map.of();
    if (!rest.isZero()) {
      out.printf("memory: the nodes idle for %d s%n", rest.toSeconds());
      Thread.sleep(rest.toMillis()); // the time measured: what the nodes do on their own while idle
      atRest = readAtRest();
    }
    long raw = keys * (keyBytes + value.length);
    List<Object> nodes = new ArrayList<>();
    double worst = 0;
    double worstGrowth = 0;
    double worstAtRest = 0;
    for (String node : cluster.nodeIds()) {
      Reading b = before.get(node);
      Reading a = after.get(node);
      double rssRatio = (double) a.rssBytes() / raw;
      worst = Math.max(worst, rssRatio);
      // What the records themselves cost in resident memory, without the footprint the node had before the first
      // one (JVM, code, metaspace, Ratis, gRPC): the ratio the target tends to as the data grows.
      double growthRatio = (double) (a.rssBytes() - b.rssBytes()) / raw;
      worstGrowth = Math.max(worstGrowth, growthRatio);
      double heapPerKey = (double) (a.liveHeapBytes() - b.liveHeapBytes()) / keys;
      Map<String, Object> perNode = JsonReport.map("node", node, "rss_before_bytes", b.rssBytes(), "rss_after_bytes", a.rssBytes(),
          "rss_anon_before_bytes", b.rssAnonBytes(), "rss_anon_after_bytes", a.rssAnonBytes(),
          "live_heap_before_bytes", b.liveHeapBytes(), "live_heap_after_bytes", a.liveHeapBytes(),
          "rss_over_raw", round(rssRatio), "rss_growth_over_raw", round(growthRatio),
          "live_heap_growth_per_key_bytes", Math.round(heapPerKey),
          "nmt_committed_kib_before", b.nmtCommittedKib(), "nmt_committed_kib_after", a.nmtCommittedKib());
      nodes.add(perNode);
      long[] r = atRest.get(node);
      if (r != null) {
        worstAtRest = Math.max(worstAtRest, (double) r[0] / raw);
        perNode.put("rss_rest_bytes", r[0]);
        perNode.put("rss_anon_rest_bytes", r[1]);
        perNode.put("rss_rest_over_raw", round((double) r[0] / raw));
        out.printf("  %s: at rest after %d s: RSS %,d MiB = %.2fx the raw data%n", node, rest.toSeconds(), r[0] >> 20,
            (double) r[0] / raw);
      }
      out.printf("  %s: RSS %,d MiB = %.2fx the raw %,d MiB (growth over the load %.2fx); live heap +%.0f bytes per "
          + "record (%d B key + %d B value)%n", node, a.rssBytes() >> 20, rssRatio, raw >> 20, growthRatio, heapPerKey,
          keyBytes, value.length);
      if (!a.nmtCommittedKib().isEmpty()) {
        out.printf("    committed by JVM area (MiB, before -> after): %s%n", areas(b, a));
      }
    }
    out.printf("memory: worst RSS / raw data %.2f (target <= 2.5); worst RSS growth / raw data %.2f%n", worst,
        worstGrowth);
    Map<String, Object> figures = JsonReport.map("records", keys, "key_bytes", keyBytes, "value_bytes", value.length,
        "raw_bytes", raw, "load_keys_per_s", Math.round(rate), "nodes", nodes, "worst_rss_over_raw", round(worst),
        "worst_rss_growth_over_raw", round(worstGrowth), "target_rss_over_raw", 2.5);
    if (!atRest.isEmpty()) {
      out.printf("memory: worst RSS / raw data at rest after %d s %.2f%n", rest.toSeconds(), worstAtRest);
      figures.put("rest_seconds", rest.toSeconds());
      figures.put("worst_rss_rest_over_raw", round(worstAtRest));
    }
    return figures;
  }

  /**
   * Each node's RSS and anonymous RSS as it is, nothing forced (no collection), with its smaps and malloc_info kept as
   * the other readings' are.
   */
  private Map<String, long[]> readAtRest() throws IOException, InterruptedException {
    Map<String, long[]> r = new LinkedHashMap<>();
    for (String node : cluster.nodeIds()) {
      long pid = cluster.process(node).pid();
      long rss = rss(pid);
      long anon = anonymous(pid);
      Files.copy(Path.of("/proc", Long.toString(pid), "smaps"), dumps.resolve(node + "-rest.smaps"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.writeString(dumps.resolve(node + "-rest.malloc"), mallocInfo(pid));
      r.put(node, new long[] {rss, anon});
    }
    return r;
  }

  private Map<String, Reading> readAll(String when) throws IOException, InterruptedException {
    Map<String, Reading> r = new LinkedHashMap<>();
    Files.createDirectories(dumps);
    for (String node : cluster.nodeIds()) {
      long pid = cluster.process(node).pid();
      // The class histogram collects the heap in full first, as GC.run does, and says what the live heap holds.
      Files.writeString(dumps.resolve(node + "-" + when + ".histo"), jcmd(pid, "GC.class_histogram"));
      long rss = settledRss(pid);
      Path smaps = Path.of("/proc", Long.toString(pid), "smaps");
      Files.copy(smaps, dumps.resolve(node + "-" + when + ".smaps"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      // glibc's malloc_info by arena: what the arenas hold in use, free and resident, beside NMT's own count.
      Files.writeString(dumps.resolve(node + "-" + when + ".malloc"), mallocInfo(pid));
      Map<String, Long> nmt = nmt(pid, dumps.resolve(node + "-" + when + ".nmt"));
      if (!nmt.isEmpty()) {
        nmtDiff(pid, when, dumps.resolve(node + "-" + when + ".nmt-diff"));
      }
      r.put(node, new Reading(rss, anonymous(pid), liveHeap(cluster.metricsPort(node)), nmt));
    }
    return r;
  }

  /** The resident anonymous memory (heap, malloc, stacks, code cache; not the mapped jars and libraries). */
  private static long anonymous(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
      if (line.startsWith("Anonymous:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }

  private static String describe(Map<String, Reading> readings) {
    StringBuilder b = new StringBuilder();
    readings.forEach((n, r) -> b.append(String.format("%s RSS %,d MiB heap %,d MiB; ", n, r.rssBytes() >> 20,
        r.liveHeapBytes() >> 20)));
    return b.toString();
  }

  private static String areas(Reading before, Reading after) {
    StringBuilder b = new StringBuilder();
    after.nmtCommittedKib().forEach((area, kib) -> {
      long was = before.nmtCommittedKib().getOrDefault(area, 0L);
      if (Math.max(was, kib) >= 4096) {
        b.append(String.format("%s %d -> %d; ", area, was >> 10, kib >> 10));
      }
    });
    return b.toString();
  }

  /** glibc's malloc_info, or why there is none (another C library): a reading does not depend on it. */
  private static String mallocInfo(long pid) throws IOException, InterruptedException {
    try {
      return jcmd(pid, "System.native_heap_info");
    } catch (IllegalStateException notGlibc) {
      return notGlibc.getMessage();
    }
  }

  /**
   * What changed over the load by NMT's own accounting: a baseline at the first reading, the diff against it at the
   * later ones (by call site when the node runs with -XX:NativeMemoryTracking=detail, else by area).
   */
  private static void nmtDiff(long pid, String when, Path dump) throws IOException, InterruptedException {
    if (when.equals("before")) {
      jcmd(pid, "VM.native_memory", "baseline");
      return;
    }
    String diff;
    try {
      diff = jcmd(pid, "VM.native_memory", "detail.diff");
    } catch (IllegalStateException summaryOnly) {
      diff = jcmd(pid, "VM.native_memory", "summary.diff");
    }
    Files.writeString(dump, diff);
  }

  /** The NMT summary's committed KiB by area (and "Total"), or empty when the node does not track. */
  private static Map<String, Long> nmt(long pid, Path dump) throws IOException, InterruptedException {
    Map<String, Long> areas = new LinkedHashMap<>();
    String summary;
    try {
      summary = jcmd(pid, "VM.native_memory", "summary");
    } catch (IllegalStateException notTracking) {
      return areas;
    }
    Files.writeString(dump, summary);
    Matcher total = NMT_TOTAL.matcher(summary);
    if (!total.find()) {
      return areas;
    }
    areas.put("Total", Long.parseLong(total.group(1)));
    Matcher m = NMT_AREA.matcher(summary);
    while (m.find()) {
      areas.put(m.group(1).trim(), Long.parseLong(m.group(2)));
    }
    return areas;
  }

  private static String jcmd(long pid, String... command) throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    List<String> cmd = new ArrayList<>(List.of(jcmd.toString(), Long.toString(pid)));
    cmd.addAll(List.of(command));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("jcmd " + pid + " " + String.join(" ", command) + " failed with exit code "
          + p.exitValue() + ": " + output);
    }
    return output;
  }

  /**
   * The resident set once it stops falling after the collection: G1 gives shrunk heap regions back to the OS from a
   * background task, after jcmd GC.run returns. Read at once, two of three nodes still held 250-400 MiB the
   * collector had already let go (NMT's committed total 380 MiB, RSS 654 and 815 MiB; the third, 411 MiB).
   */
  private static long settledRss(long pid) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    long last = rss(pid);
    while (System.nanoTime() < deadline) {
      Thread.sleep(1_000);
      long now = rss(pid);
      if (now > last - (1L << 20)) {
        return Math.min(now, last);
      }
      last = now;
    }
    return last;
  }

  private static long rss(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS for process " + pid);
  }

  private static long liveHeap(int metricsPort) throws IOException, InterruptedException {
    Matcher m = HEAP.matcher(metrics(metricsPort));
    double sum = 0;
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
    }
    return (long) sum;
  }

  private long records(int metricsPort) {
    try {
      Matcher m = RECORDS.matcher(metrics(metricsPort));
      while (m.find()) {
        if (m.group(1).equals(group)) {
          return (long) Double.parseDouble(m.group(2));
        }
      }
      return -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static String metrics(int port) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("metrics answered " + r.statusCode());
    }
    return r.body();
  }

  private static double round(double d) {
    return Math.round(d * 100) / 100.0;
  }
}
