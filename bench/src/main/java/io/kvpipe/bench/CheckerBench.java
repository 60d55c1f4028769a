package io.kvpipe.bench;

import io.kvpipe.testsupport.bench.JsonReport;
import io.kvpipe.testsupport.check.KeyResult;
import io.kvpipe.testsupport.check.LinearizabilityChecker;
import io.kvpipe.testsupport.check.Op;
import io.kvpipe.testsupport.check.SyntheticHistory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How fast the linearizability checker is on histories shaped like the robustness suite's (issue 12's target: 100k
 * operations in under a minute): simulated linearizable histories of {@code --ops} operations by {@code --clients}
 * clients on 10 hot keys and 5,000 cold ones, with {@code --unknown} of the writes of unknown outcome (half of them
 * applied); per unknown fraction the time to check, and the time to find one stale read planted on the hottest key.
 * Single-threaded unless {@code --threads}. JSON: target/bench/checker-*.json.
 */
public final class CheckerBench {
  private CheckerBench() {}

  public static void main(String[] argv) {
    BenchArgs args = new BenchArgs(argv);
    int ops = args.integer("ops", 100_000);
    int clients = args.integer("clients", 32);
    int threads = args.integer("threads", 1);
    long seed = args.integer("seed", 42);
    List<Object> rows = new ArrayList<>();
    for (String u : args.string("unknown", "0.01,0.05").split(",")) {
      double unknown = Double.parseDouble(u);
      SyntheticHistory.Shape shape = new SyntheticHistory.Shape(ops, clients, 10, 5_000, 0.5, 0.45, 0.1, 0.15,
          unknown);
      List<Op> history = SyntheticHistory.generate(shape, seed);
      LinearizabilityChecker checker = new LinearizabilityChecker(LinearizabilityChecker.DEFAULT_BUDGET, threads);
      LinearizabilityChecker.Report ok = checker.check(history);
      System.out.printf("unknown %.2f: %s%n", unknown, ok.summary());
      List<Op> planted = plantStaleRead(history);
      LinearizabilityChecker.Report bad = checker.check(planted);
      boolean found = bad.violations().stream().map(KeyResult::key).toList().contains(hottest(history));
      System.out.printf("  with one stale read planted: %s (found: %s)%n", bad.summary(), found);
      rows.add(JsonReport.map("unknownFraction", unknown, "ops", ok.opsChecked(), "keys", ok.keys(),
          "seconds", ok.nanos() / 1e9, "steps", ok.steps(), "linearizable", ok.linearizable(),
          "plantedSeconds", bad.nanos() / 1e9, "plantedFound", found, "plantedInconclusive",
          bad.inconclusive().size()));
    }
    Path file = new JsonReport("checker").put("clients", clients).put("threads", threads).put("seed", seed)
        .put("results", rows).write(Path.of("target", "bench"));
    System.out.println("wrote " + file);
  }

  private static String hottest(List<Op> history) {
    java.util.Map<String, Integer> n = new java.util.HashMap<>();
    history.forEach(o -> n.merge(o.key(), 1, Integer::sum));
    return n.entrySet().stream().max(java.util.Map.Entry.comparingByValue()).orElseThrow().getKey();
  }

  /** The last found read of the hottest key made to return a value written well before it (and since replaced). */
  static List<Op> plantStaleRead(List<Op> history) {
    String key = hottest(history);
    List<Op> ops = new ArrayList<>(history);
    for (int i = ops.size() - 1; i >= 0; i--) {
      Op r = ops.get(i);
      if (!r.key().equals(key) || r.kind() != Op.Kind.GET || !r.found()) {
        continue;
      }
      for (Op w : history) {
        if (w.key().equals(key) && w.kind() == Op.Kind.PUT && w.outcome() == Op.Outcome.OK
            && w.version() < r.version() && w.ret() + 5_000 < r.call()) {
          ops.set(i, Op.get(r.id(), r.client(), key, r.call(), r.ret(), true, w.value(), w.version()));
          return ops;
        }
      }
    }
    throw new IllegalStateException("no read to make stale on " + key);
  }
}
