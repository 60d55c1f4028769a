package io.kvpipe.proxy.migration;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How many MigrateIns may be on their way to one target group at once, across every pair and lane copying into it,
 * adjusted to the target's latency (additive increase, multiplicative decrease, as TCP's congestion window).
 *
 * <p>Why: a MigrateIn waits in the target's Raft log behind the ones sent before it, and so does every client write
 * to a key that moves there. With a fixed depth (2 pairs x 2 lanes x 4 pages of 10,000 records) bench-migration saw
 * MigrateIns take 2-9 s from send to reply and client writes the same: the copy ran no faster for the depth, its rate
 * was bound by the target's apply, not by round trips. So the window grows by one per window's worth of replies
 * faster than {@code targetLatency}, halves (at most once per round trip) on a slower one, and never drops below one.
 *
 * <p>Thread-safe: the lanes' threads acquire and release it concurrently.
 */
final class TargetWindow {
  /** The latency a MigrateIn may take before the window shrinks: about the p99 a client sees with no migration. */
  static final long DEFAULT_TARGET_MS = 250;
  static final int MAX = 16;
  private static final double START = 2;

  private final java.util.function.LongSupplier clock;
  private final long targetNanos;
  private final int max;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition room = lock.newCondition();
  private double limit = START;
  private int inFlight;
  private long lastDecreaseNanos = Long.MIN_VALUE / 2;

  TargetWindow(long targetLatencyMs, int max) {
    this(targetLatencyMs, max, System::nanoTime);
  }

  /** @param clock System.nanoTime, or a test's */
  TargetWindow(long targetLatencyMs, int max, java.util.function.LongSupplier clock) {
    this.clock = clock;
    if (targetLatencyMs <= 0 || max < 1) {
      throw new IllegalArgumentException("the target latency and the maximum must be positive");
    }
    this.targetNanos = TimeUnit.MILLISECONDS.toNanos(targetLatencyMs);
    this.max = max;
    this.limit = Math.min(START, max);
  }

  static TargetWindow withDefaults() {
    return new TargetWindow(DEFAULT_TARGET_MS, MAX);
  }

  /** Waits until one more MigrateIn may be sent, and counts it as in flight. */
  void acquire() throws InterruptedException {
    lock.lockInterruptibly();
    try {
      while (inFlight >= (int) limit) {
        room.await();
      }
      inFlight++;
    } finally {
      lock.unlock();
    }
  }

  /**
   * A MigrateIn sent at {@code sentNanos} (the clock's, System.nanoTime) got its answer now (or failed: {@code latencyCounts}
   * false leaves the window as it is, a failure says nothing about the target's speed).
   */
  void release(long sentNanos, boolean latencyCounts) {
    long now = clock.getAsLong();
    long latency = now - sentNanos;
    lock.lock();
    try {
      inFlight--;
      if (latencyCounts) {
        if (latency > targetNanos) {
          // Replies to MigrateIns sent before the last decrease carry no news of it: one decrease per round trip.
          if (sentNanos > lastDecreaseNanos) {
            limit = Math.max(1, limit / 2);
            lastDecreaseNanos = now;
          }
        } else {
          limit = Math.min(max, limit + 1 / limit);
        }
      }
      room.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The current limit, rounded down (for logs and tests). */
  int limit() {
    lock.lock();
    try {
      return (int) limit;
    } finally {
      lock.unlock();
    }
  }

  int inFlight() {
    lock.lock();
    try {
      return inFlight;
    } finally {
      lock.unlock();
    }
  }
}
