package io.kvpipe.bench;

import io.kvpipe.testsupport.bench.JsonReport;
import io.kvpipe.testsupport.bench.LatencyRecorder;
import io.kvpipe.testsupport.bench.ProcessCpu;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where a topology change's time goes, from the trace lines the kv-nodes and the proxy write when started with
 * {@link #JVM_FLAG} (logger {@code kvpipe.trace.topology}): per version, the System.nanoTime of the meta apply (the
 * earliest replica), the watcher's ask answered, the topology reloaded, the SSE fan-out handed to every subscriber and
 * its first and last write completed, then the bench's own reads. System.nanoTime is CLOCK_MONOTONIC, one clock for
 * every process on a Linux box, so the marks compare across processes. Each mark is reported as time since the
 * change's acknowledgement in the bench (p50 and p99 over the changes; negative = before the ack).
 */
final class StageTrace {
  static final String JVM_FLAG = "-DKVPIPE_TRACE=INFO";
  private static final Pattern LINE = Pattern.compile(
      "(meta-applied|watcher-reply|watcher-loaded|sse-written) version=(\\d+)((?: \\w+=-?\\d+)+)");
  private static final Pattern FIELD = Pattern.compile(" (\\w+)=(-?\\d+)");

  private StageTrace() {}

  static Map<String, Object> read(Path stackDir, Map<Long, Long> acks, Function<Long, long[]> arrivals,
                                  PrintStream out) throws IOException {
    Map<String, Map<Long, Long>> marks = new LinkedHashMap<>();
    Map<Long, Long> cpuNanos = new HashMap<>();
    for (String m : List.of("meta_applied", "watcher_reply", "watcher_loaded", "sse_published", "sse_enqueued",
        "sse_first_written", "sse_last_written", "sse_fanout_cpu", "reader_first", "reader_p50", "reader_last")) {
      marks.put(m, new HashMap<>());
    }
    List<Path> logs;
    try (Stream<Path> files = Files.list(stackDir)) {
      logs = files.filter(p -> p.getFileName().toString().endsWith(".log")).toList();
    }
    for (Path log : logs) {
      for (String line : Files.readAllLines(log)) {
        Matcher m = LINE.matcher(line);
        if (!m.find()) {
          continue;
        }
        long v = Long.parseLong(m.group(2));
        Map<String, Long> f = new HashMap<>();
        Matcher fm = FIELD.matcher(m.group(3));
        while (fm.find()) {
          f.put(fm.group(1), Long.parseLong(fm.group(2)));
        }
        switch (m.group(1)) {
          case "meta-applied" -> marks.get("meta_applied").merge(v, f.get("at"), Math::min);
          case "watcher-reply" -> marks.get("watcher_reply").merge(v, f.get("at"), Math::min);
          case "watcher-loaded" -> marks.get("watcher_loaded").merge(v, f.get("at"), Math::min);
          default -> {
            marks.get("sse_published").put(v, f.get("published"));
            marks.get("sse_enqueued").put(v, f.get("enqueued"));
            marks.get("sse_first_written").put(v, f.get("first"));
            marks.get("sse_last_written").put(v, f.get("last"));
            if (f.containsKey("cpu")) {
              cpuNanos.put(v, f.get("cpu"));
            }
          }
        }
      }
    }
    for (Map.Entry<Long, Long> e : cpuNanos.entrySet()) {
      // Not a mark but a cost: the fan-out threads' CPU time, expressed like the marks (ack + cpu) for one table.
      marks.get("sse_fanout_cpu").put(e.getKey(), acks.getOrDefault(e.getKey(), 0L) + e.getValue());
    }
    for (long v : acks.keySet()) {
      long[] at = arrivals.apply(v).clone();
      if (at.length > 0) {
        Arrays.sort(at);
        marks.get("reader_first").put(v, at[0]);
        marks.get("reader_p50").put(v, at[at.length / 2]);
        marks.get("reader_last").put(v, at[at.length - 1]);
      }
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("from_commit", fromCommit(marks.get("meta_applied"), acks, arrivals, out));
    result.put("what", "each mark in ms since the change's acknowledgement in the bench, p50 and p99 over the changes;"
        + " meta_applied = earliest replica's apply, watcher_* = the proxy's topology watcher, sse_* = its fan-out "
        + "(written = the write's completion callback; sse_fanout_cpu = CPU time of the threads offering one update, "
        + "not a mark), reader_* = this JVM's reads (over the subscribers)");
    out.println("   where a change's time goes (ms since its ack, over the changes: p50 / p99):");
    for (Map.Entry<String, Map<Long, Long>> e : marks.entrySet()) {
      List<Double> ms = new ArrayList<>();
      for (Map.Entry<Long, Long> ack : acks.entrySet()) {
        Long at = e.getValue().get(ack.getKey());
        if (at != null) {
          ms.add((at - ack.getValue()) / 1e6);
        }
      }
      if (ms.isEmpty()) {
        out.printf("     %-18s (no trace lines)%n", e.getKey());
        continue;
      }
      ms.sort(null);
      double p50 = ms.get(ms.size() / 2);
      double p99 = ms.get(Math.min(ms.size() - 1, (int) Math.ceil(ms.size() * 0.99) - 1));
      out.printf("     %-18s %8.2f / %8.2f  (%d changes)%n", e.getKey(), p50, p99, ms.size());
      result.put(e.getKey(), JsonReport.map("p50_ms", ProcessCpu.round(2, p50), "p99_ms", ProcessCpu.round(2, p99),
          "changes", ms.size()));
    }
    return result;
  }

  /**
   * Change -> event at every subscriber timed from the change's commit (the earliest replica's apply, where the meta
   * group pushes it) instead of from its acknowledgement in this JVM. The ack is taken on this JVM's main thread once
   * the meta reply has crossed gRPC and the thread has been scheduled again, while this JVM's readers are busy with
   * that very change: on the loaded 2-core box it came 1.5-7 ms after the apply, time the ack-based figure leaves out.
   * No clamp: an arrival cannot precede the apply.
   */
  private static Map<String, Object> fromCommit(Map<Long, Long> applied, Map<Long, Long> acks,
                                                Function<Long, long[]> arrivals, PrintStream out) {
    List<long[]> per = new ArrayList<>();
    List<Long> at = new ArrayList<>();
    int deliveries = 0;
    for (long v : acks.keySet()) {
      Long applyAt = applied.get(v);
      if (applyAt != null) {
        long[] arrived = arrivals.apply(v);
        per.add(arrived);
        at.add(applyAt);
        deliveries += arrived.length;
      }
    }
    if (deliveries == 0) {
      out.println("   change -> SSE event from the commit: no meta-applied trace lines");
      return JsonReport.map("changes", 0);
    }
    LatencyRecorder latency = new LatencyRecorder(deliveries);
    for (int i = 0; i < per.size(); i++) {
      for (long t : per.get(i)) {
        latency.record(t - at.get(i));
      }
    }
    LatencyRecorder.Percentiles p = latency.percentiles();
    out.printf("   change -> SSE event at each subscriber from the commit (meta apply): p50 %.2f ms, p99 %.2f ms, "
        + "p999 %.2f ms, max %.2f ms (%d changes)%n", p.p50(), p.p99(), p.p999(), p.max(), per.size());
    return JsonReport.map("what", "meta apply (earliest replica, its trace line) -> id: line read by each subscriber",
        "changes", per.size(), "deliveries", p.samples(), "p50_ms", ProcessCpu.round(2, p.p50()), "p99_ms",
        ProcessCpu.round(2, p.p99()), "p999_ms", ProcessCpu.round(2, p.p999()), "max_ms", ProcessCpu.round(2, p.max()));
  }
}
