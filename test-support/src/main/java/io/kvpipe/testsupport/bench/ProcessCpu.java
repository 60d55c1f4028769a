package io.kvpipe.testsupport.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time (user + system, all threads) of OS processes from {@code /proc/<pid>/stat}, so a benchmark can say what
 * each process of the system under test cost per phase: seconds of CPU and % of one core over the phase's wall time.
 */
public final class ProcessCpu {
  private static final double TICKS_PER_SECOND = clockTicks();

  private ProcessCpu() {}

  /** CPU seconds the process has used so far; NaN if it is gone (killed, exited). */
  public static double seconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
      // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
      long utime = Long.parseLong(f[11]); // field 14 of proc(5)
      long stime = Long.parseLong(f[12]); // field 15
      return (utime + stime) / TICKS_PER_SECOND;
    } catch (NoSuchFileException gone) {
      return Double.NaN;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/" + pid + "/stat", e);
    }
  }

  /**
   * CPU seconds the whole box has been busy so far, summed over its cores (the {@code cpu} line of /proc/stat: every
   * state but idle and iowait). Over a phase, divided by wall time and cores, it says how saturated the box was, which
   * the load average cannot: it counts threads waiting on an fsync, and a Raft log fsyncs all the time.
   */
  public static double boxBusySeconds() {
    try {
      String first = Files.readAllLines(Path.of("/proc/stat"), StandardCharsets.US_ASCII).getFirst();
      String[] f = first.trim().split(" +");
      long busy = 0;
      for (int i = 1; i < f.length && i <= 8; i++) {
        if (i != 4 && i != 5) { // idle, iowait
          busy += Long.parseLong(f[i]);
        }
      }
      return busy / TICKS_PER_SECOND;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/stat", e);
    }
  }

  /** A reading of several named processes at one instant. */
  public record Sample(long nanos, Map<String, Double> seconds) {
    public static Sample of(Map<String, Long> pids) {
      Map<String, Double> s = new LinkedHashMap<>();
      pids.forEach((name, pid) -> s.put(name, ProcessCpu.seconds(pid)));
      return new Sample(System.nanoTime(), s);
    }

    /**
     * Per process between {@code before} and this sample: {@code cpu_s} and {@code core_pct} (100 = one core busy
     * for the whole interval); a process missing from either sample (restarted, killed) is reported as null.
     */
    public Map<String, Object> since(Sample before) {
      double wall = (nanos - before.nanos) / 1e9;
      Map<String, Object> out = new LinkedHashMap<>();
      double total = 0;
      for (Map.Entry<String, Double> e : seconds.entrySet()) {
        Double b = before.seconds.get(e.getKey());
        double d = b == null ? Double.NaN : e.getValue() - b;
        if (Double.isNaN(d)) {
          out.put(e.getKey(), null);
          continue;
        }
        total += d;
        out.put(e.getKey(), JsonReport.map("cpu_s", round(2, d), "core_pct", round(1, 100 * d / wall)));
      }
      out.put("total", JsonReport.map("cpu_s", round(2, total), "core_pct", round(1, 100 * total / wall)));
      return out;
    }

    /** CPU seconds of all processes between {@code before} and this sample (processes gone in either: skipped). */
    public double totalSince(Sample before) {
      double total = 0;
      for (Map.Entry<String, Double> e : seconds.entrySet()) {
        Double b = before.seconds.get(e.getKey());
        if (b != null && !Double.isNaN(b) && !Double.isNaN(e.getValue())) {
          total += e.getValue() - b;
        }
      }
      return total;
    }
  }

  /** {@code d} to {@code decimals} places; NaN and infinities as they are (Math.round would make NaN a 0). */
  public static double round(int decimals, double d) {
    if (!Double.isFinite(d)) {
      return d;
    }
    double f = Math.pow(10, decimals);
    return Math.round(d * f) / f;
  }

  private static double clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      return p.waitFor() == 0 ? Double.parseDouble(out) : 100;
    } catch (IOException | NumberFormatException e) {
      return 100; // USER_HZ is 100 on every Linux architecture the project runs on
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }
}
