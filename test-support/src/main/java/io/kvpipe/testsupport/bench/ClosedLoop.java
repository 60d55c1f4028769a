package io.kvpipe.testsupport.bench;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * A closed-loop load: {@code concurrency} logical clients, each issuing its next operation only when the previous one
 * completed, for a fixed duration. Operations are asynchronous, so 64 clients need no 64 threads. Prints progress
 * once a second. Only operations that complete successfully are timed; failures are counted.
 */
public final class ClosedLoop {
  private final String name;
  private final int concurrency;
  private final Duration duration;
  private final IntFunction<CompletableFuture<?>> operation;
  private final PrintStream progress;

  /**
   * @param operation given a client number, starts one operation and returns its completion
   */
  public ClosedLoop(String name, int concurrency, Duration duration, IntFunction<CompletableFuture<?>> operation,
                    PrintStream progress) {
    this.name = name;
    this.concurrency = concurrency;
    this.duration = duration;
    this.operation = operation;
    this.progress = progress;
  }

  public Result run() throws InterruptedException {
    LatencyRecorder latencies = new LatencyRecorder(8_000_000);
    AtomicLong errors = new AtomicLong();
    String[] lastErrorText = new String[1];
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    CountDownLatch done = new CountDownLatch(concurrency);
    for (int c = 0; c < concurrency; c++) {
      issue(c, end, latencies, errors, lastErrorText, done);
    }
    long lastOps = 0;
    while (!done.await(1, TimeUnit.SECONDS)) {
      long ops = latencies.count();
      double elapsed = (System.nanoTime() - start) / 1e9;
      progress.printf("  %s: %5.1fs %,9d ok (%,7d/s now) %,d errors%n", name, Math.min(elapsed,
          duration.toNanos() / 1e9), ops, ops - lastOps, errors.get());
      lastOps = ops;
      if (System.nanoTime() > end + TimeUnit.SECONDS.toNanos(60)) {
        throw new IllegalStateException(name + ": operations still outstanding 60 s after the end");
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    LatencyRecorder.Percentiles p = latencies.percentiles();
    return new Result(name, concurrency, seconds, latencies.count(), errors.get(), latencies.count() / seconds, p,
        lastErrorText[0]);
  }

  private void issue(int client, long end, LatencyRecorder latencies, AtomicLong errors, String[] lastErrorText,
                     CountDownLatch done) {
    // Iterative rather than recursive when completions arrive synchronously, so the stack stays flat.
    while (true) {
      if (System.nanoTime() >= end) {
        done.countDown();
        return;
      }
      long t0 = System.nanoTime();
      CompletableFuture<?> f = start(client);
      if (f.isDone()) {
        complete(f, t0, latencies, errors, lastErrorText);
        continue;
      }
      f.whenComplete((r, e) -> {
        complete(f, t0, latencies, errors, lastErrorText);
        issue(client, end, latencies, errors, lastErrorText, done);
      });
      return;
    }
  }

  private CompletableFuture<?> start(int client) {
    try {
      return operation.apply(client);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static void complete(CompletableFuture<?> f, long t0, LatencyRecorder latencies, AtomicLong errors,
                               String[] lastErrorText) {
    if (f.isCompletedExceptionally()) {
      errors.incrementAndGet();
      f.exceptionally(e -> {
        lastErrorText[0] = String.valueOf(e);
        return null;
      });
    } else {
      latencies.record(System.nanoTime() - t0);
    }
  }

  /** The figures of one closed-loop phase. */
  public record Result(String name, int concurrency, double seconds, long ops, long errors, double opsPerSecond,
                       LatencyRecorder.Percentiles latencyMs, String lastError) {
    public Map<String, Object> toMap() {
      return JsonReport.map("concurrency", concurrency, "seconds", round(seconds), "ops", ops, "errors", errors,
          "ops_per_s", round(opsPerSecond), "p50_ms", round(latencyMs.p50()), "p99_ms", round(latencyMs.p99()),
          "p999_ms", round(latencyMs.p999()), "max_ms", round(latencyMs.max()));
    }

    public String summary() {
      return String.format("%s c=%d: %,.0f ops/s, p50 %.2f ms, p99 %.2f ms, p999 %.2f ms, %d errors%s", name,
          concurrency, opsPerSecond, latencyMs.p50(), latencyMs.p99(), latencyMs.p999(), errors,
          lastError == null ? "" : " (last: " + lastError + ")");
    }
  }

  static double round(double d) {
    return Math.round(d * 100) / 100.0;
  }
}
