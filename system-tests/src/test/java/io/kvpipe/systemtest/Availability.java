package io.kvpipe.systemtest;

import io.kvpipe.common.ring.HashRing;
import io.kvpipe.testsupport.check.Op;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Write availability under faults: per shard group (by the first ring, g1 and g2), the longest time between two
 * consecutive acknowledged writes that overlaps a fault (from its start until 5 s after it healed, when the system
 * should have recovered, or until the next fault starts); grouped by fault kind. The nemesis faults one process at a time, so a majority of every
 * group stays up throughout: every such window counts. A window is measured between write acknowledgements, so it
 * includes the clients' own pacing (a few ms on an idle run).
 */
final class Availability {
  static final long GRACE_NANOS = 5_000_000_000L;

  /** Per fault kind: how many faults, and the windows' p50 / p99 / max in milliseconds, and the worst fault. */
  record PerKind(String kind, int faults, long p50Ms, long p99Ms, long maxMs, String worst) {}

  private Availability() {}

  static List<PerKind> measure(List<Op> history, List<Timeline.Event> timeline, HashRing ring) {
    Map<String, List<Long>> acks = new TreeMap<>();
    for (Op op : history) {
      if (op.write() && op.outcome() == Op.Outcome.OK) {
        acks.computeIfAbsent(ring.groupFor(op.key().getBytes(StandardCharsets.UTF_8)), g -> new ArrayList<>())
            .add(op.ret());
      }
    }
    acks.values().forEach(l -> l.sort(Long::compare));
    Map<String, List<long[]>> byKind = new LinkedHashMap<>(); // kind -> (window ns, event index)
    Map<String, String> worst = new HashMap<>();
    List<Timeline.Event> faults = timeline.stream().filter(e -> !e.kind().equals("migration") && !e.kind().equals("scan"))
        .sorted((a, b) -> Long.compare(a.start(), b.start())).toList();
    for (int i = 0; i < faults.size(); i++) {
      Timeline.Event e = faults.get(i);
      // The recovery after a fault counts as its own, until the next fault starts.
      long to = e.end() + GRACE_NANOS;
      if (i + 1 < faults.size()) {
        to = Math.max(e.end(), Math.min(to, faults.get(i + 1).start()));
      }
      long window = 0;
      String where = null;
      for (Map.Entry<String, List<Long>> g : acks.entrySet()) {
        long w = longestGap(g.getValue(), e.start(), to);
        if (w > window) {
          window = w;
          where = g.getKey();
        }
      }
      byKind.computeIfAbsent(e.kind(), k -> new ArrayList<>()).add(new long[] {window, i});
      List<long[]> l = byKind.get(e.kind());
      if (l.stream().mapToLong(x -> x[0]).max().orElse(0) == window) {
        worst.put(e.kind(), e.target() + " at " + e.start() / 1_000_000 + " ms, " + where);
      }
    }
    List<PerKind> out = new ArrayList<>();
    byKind.forEach((kind, l) -> {
      long[] w = l.stream().mapToLong(x -> x[0]).sorted().toArray();
      out.add(new PerKind(kind, w.length, pct(w, 0.5) / 1_000_000, pct(w, 0.99) / 1_000_000,
          w[w.length - 1] / 1_000_000, worst.get(kind)));
    });
    return out;
  }

  /**
   * The longest gap between consecutive times in {@code sorted} that overlaps [from, to]; with no time after the
   * window, the gap from the last one (or {@code from}) to {@code to} counts too.
   */
  static long longestGap(List<Long> sorted, long from, long to) {
    long best = 0;
    long prev = Long.MIN_VALUE;
    for (long t : sorted) {
      if (prev != Long.MIN_VALUE && t > from && prev < to) {
        best = Math.max(best, t - prev);
      }
      if (t >= to) {
        return best;
      }
      prev = t;
    }
    return Math.max(best, to - Math.max(prev, from));
  }

  private static long pct(long[] sorted, double p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
  }
}
