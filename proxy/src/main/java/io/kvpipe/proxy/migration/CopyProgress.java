package io.kvpipe.proxy.migration;

import io.kvpipe.common.wire.ScanCursor;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The copy's progress as this coordinator knows it (ahead of the record by up to one heartbeat): per pair the cursor
 * after the last page the target applied and the keys sent, the total, and the rate over the last few seconds.
 * Bound to one plan (its {@code toEpoch}): a cancel's inverse starts a new one. Thread-safe.
 */
final class CopyProgress {
  private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final long toEpoch;
  private final Map<String, String> cursors = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> copied = new ConcurrentHashMap<>();
  private final AtomicLong total = new AtomicLong();
  private final ArrayDeque<long[]> samples = new ArrayDeque<>();

  private CopyProgress(long toEpoch) {
    this.toEpoch = toEpoch;
  }

  /** Progress as the record saved it. */
  static CopyProgress from(MigrationRecord r) {
    CopyProgress p = new CopyProgress(r.migration().toEpoch());
    for (MigrationPlan.Transfer t : r.plan().transfers()) {
      String c = r.migration().attributes().get("cursor." + t.key());
      if (c != null) {
        p.cursors.put(t.key(), c);
      }
      long n = r.copiedKeys(t);
      p.copied.put(t.key(), new AtomicLong(n));
      p.total.addAndGet(n);
    }
    return p;
  }

  long toEpoch() {
    return toEpoch;
  }

  boolean done(MigrationPlan.Transfer t) {
    return MigrationRecord.END.equals(cursors.get(t.key()));
  }

  ScanCursor cursor(MigrationPlan.Transfer t) {
    String c = cursors.get(t.key());
    return c == null || c.equals(MigrationRecord.END) ? null : MigrationRecord.decodeCursor(c);
  }

  /** The target applied a page of {@code keys} records; {@code next} is where the pair resumes (null: finished). */
  void advance(MigrationPlan.Transfer t, ScanCursor next, int keys) {
    cursors.put(t.key(), next == null ? MigrationRecord.END : MigrationRecord.encodeCursor(next));
    copied.computeIfAbsent(t.key(), k -> new AtomicLong()).addAndGet(keys);
    total.addAndGet(keys);
  }

  long total() {
    return total.get();
  }

  void writeTo(Map<String, String> attributes) {
    cursors.forEach((k, c) -> attributes.put("cursor." + k, c));
    copied.forEach((k, n) -> attributes.put("copied." + k, Long.toString(n.get())));
  }

  /** Keys per second over the last few seconds (sampled on each call). */
  synchronized double rate(long nowNanos) {
    long t = total.get();
    samples.addLast(new long[] {nowNanos, t});
    while (samples.size() > 2 && nowNanos - samples.peekFirst()[0] > WINDOW_NANOS) {
      samples.removeFirst();
    }
    long[] first = samples.peekFirst();
    long dt = nowNanos - first[0];
    return dt <= 0 ? 0 : (t - first[1]) * 1e9 / dt;
  }
}
