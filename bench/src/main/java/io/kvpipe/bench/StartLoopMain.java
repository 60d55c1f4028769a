package io.kvpipe.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A start loop for start-up liveness defects (docs/operations.md, "Ratis defects ..."): starts the benchmarks' stack
 * (3 kv-node processes with meta, g1, g2, and a proxy, ready and
 * fenced) again and again for {@code seconds}, then stops it; per start: the time to ready and the INCONSISTENCY
 * replies each node's log shows (set {@code KVPIPE_RATIS_LOG_LEVEL=INFO} for the followers' side). A failed start, or
 * one with 20 or more such lines in a node's log, keeps its directory; others are deleted. Args: seconds, work dir.
 * Run as the benchmarks run (scripts/lib/bench.sh's class path), under {@code flock /work/bench.lock}.
 */
public final class StartLoopMain {
  private StartLoopMain() {}

  public static void main(String[] args) throws Exception {
    int seconds = Integer.parseInt(args[0]);
    Path work = Files.createDirectories(Path.of(args[1]));
    PrintStream out = System.out;
    KvStack.Options o = new KvStack.Options(KvStack.shippedJvm("kv-node"), KvStack.shippedJvm("proxy"), List.of(),
        List.of(), false, true, KvStack.GROUPS);
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    int starts = 0;
    int failures = 0;
    int maxInconsistent = 0;
    while (System.nanoTime() < end) {
      Path dir = work.resolve("start-" + System.currentTimeMillis());
      long t0 = System.nanoTime();
      starts++;
      boolean ok = true;
      String why = "";
      try (KvStack s = KvStack.start(dir, o, new PrintStream(PrintStream.nullOutputStream()))) {
        s.groups();
      } catch (RuntimeException | Error e) {
        ok = false;
        failures++;
        why = e.toString();
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      List<String> counts = new ArrayList<>();
      int most = 0;
      for (String n : List.of("n1", "n2", "n3")) {
        int c = count(dir.resolve(n + ".log"), "INCONSISTENCY");
        most = Math.max(most, c);
        counts.add(n + "=" + c);
      }
      maxInconsistent = Math.max(maxInconsistent, most);
      out.printf("START %d %s %d ms inconsistency %s %s%n", starts, ok ? "ok" : "FAILED", ms, counts, why);
      if (ok && most < 20) {
        delete(dir);
      }
    }
    out.printf("STARTLOOP RESULT: %d starts, %d failed, most INCONSISTENCY lines in one node log %d%n", starts,
        failures, maxInconsistent);
  }

  private static int count(Path log, String what) throws IOException {
    if (!Files.exists(log)) {
      return -1;
    }
    try (Stream<String> lines = Files.lines(log)) {
      return (int) lines.filter(l -> l.contains(what)).count();
    } catch (java.io.UncheckedIOException e) {
      return -2;
    }
  }

  private static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
