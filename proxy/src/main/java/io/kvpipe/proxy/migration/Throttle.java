package io.kvpipe.proxy.migration;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A keys-per-second token bucket shared by all pairs of one migration; 0 means unlimited. The rate may change while
 * copiers wait (PATCH). A batch larger than the bucket still passes: it borrows, and the next batches wait it off.
 * Thread-safe.
 */
public final class Throttle {
  private final LongSupplier nanoClock;
  private long keysPerSecond;
  private double tokens;
  private long lastNanos;

  public Throttle(long keysPerSecond, LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
    this.lastNanos = nanoClock.getAsLong();
    setRate(keysPerSecond);
  }

  public synchronized void setRate(long newKeysPerSecond) {
    if (newKeysPerSecond < 0) {
      throw new IllegalArgumentException("keys per second must be >= 0");
    }
    refill();
    if (newKeysPerSecond != keysPerSecond) {
      keysPerSecond = newKeysPerSecond;
      tokens = Math.min(tokens, keysPerSecond);
    }
  }

  public synchronized long rate() {
    return keysPerSecond;
  }

  /** Takes {@code keys} tokens; returns how many nanoseconds the caller must wait before using them. */
  public synchronized long reserve(int keys) {
    if (keysPerSecond == 0) {
      return 0;
    }
    refill();
    tokens -= keys;
    return tokens >= 0 ? 0 : (long) (-tokens / keysPerSecond * TimeUnit.SECONDS.toNanos(1));
  }

  /** {@link #reserve} and wait. */
  public void acquire(int keys) throws InterruptedException {
    long wait = reserve(keys);
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }

  private void refill() {
    long now = nanoClock.getAsLong();
    if (keysPerSecond > 0) {
      // At most one second's worth accumulates, so an idle spell is not followed by an unthrottled burst.
      tokens = Math.min(keysPerSecond, tokens + (now - lastNanos) / 1e9 * keysPerSecond);
    }
    lastNanos = now;
  }
}
