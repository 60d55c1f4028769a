package io.kvpipe.testsupport.bench;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;

/**
 * An open-loop load: operations are issued at a fixed target rate whether or not earlier ones have completed (as real
 * traffic arrives), with a cap on operations in flight so an overloaded system is reported, not buried. Ticks every
 * millisecond and issues whatever the schedule owes, so the rate holds even when the JVM's timer is coarse.
 */
public final class OpenLoop {
  private final String name;
  private final int ratePerSecond;
  private final Duration duration;
  private final int maxInFlight;
  private final LongFunction<CompletableFuture<?>> operation;
  private final PrintStream progress;

  /** @param operation given the sequence number of the operation, starts it and returns its completion */
  public OpenLoop(String name, int ratePerSecond, Duration duration, int maxInFlight,
                  LongFunction<CompletableFuture<?>> operation, PrintStream progress) {
    this.name = name;
    this.ratePerSecond = ratePerSecond;
    this.duration = duration;
    this.maxInFlight = maxInFlight;
    this.operation = operation;
    this.progress = progress;
  }

  public Result run() throws InterruptedException {
    Semaphore inFlight = new Semaphore(maxInFlight);
    AtomicLong ok = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    long skipped = 0;
    long issued = 0;
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    long nextReport = start + TimeUnit.SECONDS.toNanos(1);
    while (true) {
      long now = System.nanoTime();
      if (now >= end) {
        break;
      }
      long owed = (long) ((now - start) / 1e9 * ratePerSecond) - issued - skipped;
      for (long i = 0; i < owed; i++) {
        if (!inFlight.tryAcquire()) {
          skipped++;
          continue;
        }
        long seq = issued++;
        start(seq).whenComplete((r, e) -> {
          inFlight.release();
          (e == null ? ok : errors).incrementAndGet();
        });
      }
      if (now >= nextReport) {
        progress.printf("  %s: %4.1fs %,d issued, %,d ok, %,d errors, %,d skipped (in-flight cap %d)%n", name,
            (now - start) / 1e9, issued, ok.get(), errors.get(), skipped, maxInFlight);
        nextReport += TimeUnit.SECONDS.toNanos(1);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
    if (!inFlight.tryAcquire(maxInFlight, 60, TimeUnit.SECONDS)) {
      throw new IllegalStateException(name + ": operations still in flight 60 s after the end");
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Result(name, ratePerSecond, seconds, issued, ok.get(), errors.get(), skipped);
  }

  private CompletableFuture<?> start(long seq) {
    try {
      return operation.apply(seq);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** What an open-loop phase achieved; {@code skipped} operations were due while the in-flight cap was reached. */
  public record Result(String name, int targetPerSecond, double seconds, long issued, long ok, long errors,
                       long skipped) {
    public double achievedPerSecond() {
      return ok / seconds;
    }
  }
}
