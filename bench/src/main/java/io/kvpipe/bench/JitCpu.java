package io.kvpipe.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The CPU time a local HotSpot JVM's JIT compiler threads used, from {@code /proc/<pid>/task/<tid>/stat}: what the
 * JIT took from the load. Why not {@code jvm_compilation_time_ms_total} (the JVM's own compile time, which the
 * benchmarks watched before): that is wall-clock time from a compile's start to its end, so on a 2-core box running
 * three kv-nodes, a proxy and the load it also counts the time a compiler thread sat in the run queue. Measured side by
 * side over the same 10 s windows (bench/RESULTS.md, issue 18), it read 1.6-3.6x (mostly 2-3x) the compiler threads' CPU.
 *
 * <p>A reading keeps each compiler thread's ticks by thread id: HotSpot starts and ends compiler threads as its queues
 * grow and shrink (on machines with more cores), and a total over the threads alive now would drop when one ends. A
 * thread that ended between two readings loses only its last interval.
 */
final class JitCpu {
  /** Linux cuts a thread's name to 15 bytes: HotSpot's "C2 CompilerThread0" reads "C2 CompilerThre". */
  private static final String[] COMPILER_THREAD_PREFIXES = {"C1 CompilerThre", "C2 CompilerThre"};
  private static final double TICKS_PER_SECOND = 100; // USER_HZ on every Linux the project runs on

  private JitCpu() {}

  /** Each compiler thread's CPU ticks (user + system) at one instant; {@code gone} when the process was not there. */
  record Reading(Map<Long, Long> ticksByThread, boolean gone) {
    /** CPU seconds the compiler threads used since {@code before}; NaN if the process was gone at either reading. */
    double secondsSince(Reading before) {
      if (gone || before.gone) {
        return Double.NaN;
      }
      long ticks = 0;
      for (Map.Entry<Long, Long> t : ticksByThread.entrySet()) {
        ticks += t.getValue() - before.ticksByThread.getOrDefault(t.getKey(), 0L);
      }
      return ticks / TICKS_PER_SECOND;
    }
  }

  /** The JIT compiler threads of process {@code pid} now. */
  static Reading read(long pid) {
    return read(Path.of("/proc"), pid);
  }

  static Reading read(Path proc, long pid) {
    Map<Long, Long> ticks = new HashMap<>();
    Path tasks = proc.resolve(Long.toString(pid)).resolve("task");
    try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks)) {
      for (Path thread : threads) {
        String stat;
        try {
          stat = Files.readString(thread.resolve("stat"), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException ended) {
          continue; // the thread ended while the directory was listed
        }
        Long t = compilerTicks(stat);
        if (t != null) {
          ticks.put(Long.parseLong(thread.getFileName().toString()), t);
        }
      }
    } catch (NoSuchFileException gone) {
      return new Reading(Map.of(), true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the threads of process " + pid, e);
    }
    return new Reading(ticks, false);
  }

  /** utime + stime of a thread's stat line if the thread is a JIT compiler thread, else null. */
  static Long compilerTicks(String stat) {
    int open = stat.indexOf('(');
    int close = stat.lastIndexOf(')');
    String name = stat.substring(open + 1, close);
    boolean compiler = false;
    for (String prefix : COMPILER_THREAD_PREFIXES) {
      compiler |= name.startsWith(prefix);
    }
    if (!compiler) {
      return null;
    }
    // Fields after the name, counted from field 3 (state): utime and stime are fields 14 and 15 of proc(5).
    String[] f = stat.substring(close + 2).trim().split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }
}
