package io.kvpipe.bench;

import io.kvpipe.testsupport.bench.JsonReport;
import io.kvpipe.testsupport.bench.ProcessCpu;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A warm-up that ends when the JVMs under test are warm, not when a clock says so. Why: on a 2-core box the JIT of
 * three kv-nodes (and a proxy) is still compiling minutes into a run, and a figure taken then is partly the JIT's: the
 * same bench-node run gave c=64 puts ~6,000/s after a 30 s warm-up and 17,434/s once the JIT had settled. So load runs
 * in windows of {@link #WINDOW}: at least the minimum warm-up, then until every watched JVM's JIT compiler threads
 * used at most a given share of a core over each of the last {@link #QUIET_WINDOWS} windows ({@link JitCpu}), or the
 * maximum passed. Measured with -Xlog:jit+compilation, deoptimization and class+load (bench/RESULTS.md, issue 18),
 * what the JIT does then is a warm-up that decays, not a steady churn: ever fewer methods reach C2's thresholds.
 */
final class JitWarmUp {
  static final Duration WINDOW = Duration.ofSeconds(10);
  /**
   * Consecutive quiet windows that make a JVM warm. One is not enough: measured (bench/RESULTS.md, issue 18), a single
   * window at 2.3% of a core was followed by a c=1 phase with the nodes' compilers at 6-18%, and the busiest
   * compiler's windows went 3.2, 7.2, 3.1 % while it decayed.
   */
  static final int QUIET_WINDOWS = 2;

  /**
   * A JVM to watch: its local process id (whose compiler threads are read) and its Prometheus endpoint, read once a
   * window too: the measured phases read it, and its text rendering is code that is compiled like any other (null:
   * none).
   */
  record Jvm(long pid, Scrape.Endpoint metrics) {}

  /** One window of warm-up load, {@code length} long. */
  interface Load {
    void run(Duration length) throws Exception;
  }

  /** @param settledPct the JIT share of one core (%) at or below which a JVM counts as warm */
  record Settings(Duration min, Duration max, double settledPct) {
    static Settings from(BenchArgs a, int defaultMinSeconds) {
      Duration min = a.seconds("warmup-seconds", defaultMinSeconds);
      return new Settings(min, a.seconds("warmup-max-seconds", (int) min.toSeconds() + 120),
          a.decimal("jit-settled-pct", 3.0));
    }

    Map<String, Object> describe() {
      return JsonReport.map("min_seconds", min.toSeconds(), "max_seconds", max.toSeconds(), "jit_settled_core_pct",
          settledPct, "window_seconds", WINDOW.toSeconds());
    }
  }

  private JitWarmUp() {}

  /**
   * Runs {@code load} window after window as described above, printing the busiest JVM's JIT share after each;
   * returns how long it took and where the JIT stood (for the report's JSON).
   */
  static Map<String, Object> run(Settings s, Map<String, Jvm> jvms, Load load, PrintStream out) throws Exception {
    out.printf("== warm-up: at least %d s, then until every JVM's JIT compiler threads use <= %.1f%% of a core over %d s"
        + " (at most %d s)%n", s.min().toSeconds(), s.settledPct(), WINDOW.toSeconds(), s.max().toSeconds());
    long start = System.nanoTime();
    Quiet quiet = new Quiet(s.settledPct(), QUIET_WINDOWS);
    while (true) {
      Map<String, JitCpu.Reading> before = read(jvms);
      long windowStart = System.nanoTime();
      load.run(WINDOW);
      jvms.values().stream().filter(j -> j.metrics() != null).forEach(j -> Scrape.text(j.metrics()));
      Map<String, JitCpu.Reading> after = read(jvms);
      double wallS = (System.nanoTime() - windowStart) / 1e9;
      String busiest = null;
      double max = Double.NaN;
      for (String name : jvms.keySet()) {
        double pct = 100 * after.get(name).secondsSince(before.get(name)) / wallS;
        if (!Double.isNaN(pct) && (Double.isNaN(max) || pct > max)) {
          max = pct;
          busiest = name;
        }
      }
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
      boolean settled = quiet.window(max);
      out.printf("   warm-up %d s: the busiest JIT (%s) used %.1f%% of a core over the last %d s%s%n",
          elapsed.toSeconds(), busiest, max, WINDOW.toSeconds(),
          settled ? ": settled" : quiet.run() > 0 ? ": quiet (" + quiet.run() + " of " + QUIET_WINDOWS + ")" : "");
      if (elapsed.compareTo(s.min()) >= 0 && (settled || elapsed.compareTo(s.max()) >= 0)) {
        return JsonReport.map("seconds", elapsed.toSeconds(), "busiest_jit", busiest, "jit_core_pct_last_window",
            Double.isNaN(max) ? null : ProcessCpu.round(1, max), "jit_measure", "compiler threads' CPU", "settled",
            settled);
      }
    }
  }

  /** Counts consecutive windows whose busiest JIT stayed at or below the threshold (NaN: no JVM showed one). */
  static final class Quiet {
    private final double pct;
    private final int needed;
    private int run;

    Quiet(double pct, int needed) {
      this.pct = pct;
      this.needed = needed;
    }

    /** Records one window's busiest JIT share; true once {@code needed} windows in a row were quiet. */
    boolean window(double busiestPct) {
      run = Double.isNaN(busiestPct) || busiestPct <= pct ? run + 1 : 0;
      return run >= needed;
    }

    int run() {
      return run;
    }
  }

  private static Map<String, JitCpu.Reading> read(Map<String, Jvm> jvms) {
    Map<String, JitCpu.Reading> out = new LinkedHashMap<>();
    jvms.forEach((name, jvm) -> out.put(name, JitCpu.read(jvm.pid())));
    return out;
  }

  /**
   * The JVM's own JIT compile time in a Prometheus text exposition ({@code jvm_compilation_time_ms_total}: wall-clock
   * time, see {@link JitCpu}), NaN if it is not there.
   */
  static double compileMs(String metricsText) {
    return Scrape.value(metricsText, "jvm_compilation_time_ms_total", "");
  }
}
