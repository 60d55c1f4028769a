package io.kvpipe.testsupport.bench;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Records latencies (nanoseconds) from any thread into a preallocated array and reports exact percentiles. Benchmarks
 * here run seconds at thousands of ops/s, so every sample fits; samples past capacity are counted but not kept.
 */
public final class LatencyRecorder {
  private final long[] samples;
  private final AtomicInteger next = new AtomicInteger();

  public LatencyRecorder(int capacity) {
    this.samples = new long[capacity];
  }

  public void record(long nanos) {
    int i = next.getAndIncrement();
    if (i < samples.length) {
      samples[i] = nanos;
    }
  }

  public int count() {
    return next.get();
  }

  /** Percentiles in milliseconds; call after all recording threads are done. */
  public Percentiles percentiles() {
    int n = Math.min(next.get(), samples.length);
    long[] sorted = Arrays.copyOf(samples, n);
    Arrays.sort(sorted);
    return new Percentiles(n, at(sorted, 0.50), at(sorted, 0.99), at(sorted, 0.999), n == 0 ? 0 : sorted[n - 1] / 1e6);
  }

  private static double at(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int idx = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
    return sorted[Math.max(0, idx)] / 1e6;
  }

  /** Latency percentiles in milliseconds. */
  public record Percentiles(int samples, double p50, double p99, double p999, double max) {}
}
