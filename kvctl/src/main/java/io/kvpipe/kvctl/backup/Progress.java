package io.kvpipe.kvctl.backup;

import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A progress line for long runs: keys done of the total, the rate since the start, printed at most once per
 * {@code everyNanos} (and always at the end), on stderr so stdout stays the result.
 */
public final class Progress {
  private final String what;
  private final AtomicLong total = new AtomicLong();
  private final PrintWriter out;
  private final long everyNanos;
  private final long start = System.nanoTime();
  private final AtomicLong done = new AtomicLong();
  private long lastPrint = start;

  public Progress(String what, long total, PrintWriter out, long everyNanos) {
    this.what = what;
    this.total.set(total);
    this.out = out;
    this.everyNanos = everyNanos;
  }

  /** More keys to do, learnt on the way (a backup learns each group's count when its export opens). */
  public void expect(long n) {
    total.addAndGet(n);
  }

  public void add(long n) {
    done.addAndGet(n);
    long now = System.nanoTime();
    synchronized (this) {
      if (out != null && now - lastPrint >= everyNanos) {
        lastPrint = now;
        print(now);
      }
    }
  }

  public long done() {
    return done.get();
  }

  public double seconds() {
    return (System.nanoTime() - start) / 1e9;
  }

  /** Keys per second since the start. */
  public double rate() {
    double s = seconds();
    return s <= 0 ? 0 : done.get() / s;
  }

  public synchronized void finish() {
    if (out != null) {
      print(System.nanoTime());
    }
  }

  private void print(long now) {
    long t = total.get();
    out.printf("%s: %,d / %,d keys (%.0f%%), %,.0f keys/s, %.1f s%n", what, done.get(), t,
        t == 0 ? 100.0 : 100.0 * done.get() / t, rate(), (now - start) / 1e9);
    out.flush();
  }
}
