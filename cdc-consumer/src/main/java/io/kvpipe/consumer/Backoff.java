package io.kvpipe.consumer;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter for retrying outages: 100 ms doubling up to a cap, reset after a success. Not
 * thread-safe: owned by the archive loop's thread.
 */
final class Backoff {
  private static final long FIRST_MS = 100;
  private final long maxMs;
  private long nextMs = FIRST_MS;

  Backoff(long maxMs) {
    this.maxMs = maxMs;
  }

  /** The pause to take now; the following one will be longer. */
  long next() {
    long base = nextMs;
    nextMs = Math.min(maxMs, nextMs * 2);
    return base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
  }

  void reset() {
    nextMs = FIRST_MS;
  }
}
