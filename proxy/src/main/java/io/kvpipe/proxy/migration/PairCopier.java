package io.kvpipe.proxy.migration;

import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.MigrationToken;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.ScanCursor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies one (source, target) pair's moving ranges: scans the source page by page from the saved cursor and applies
 * each page on the target with MigrateIn (live records and tombstones, each keeping its version). Pipelined: the next
 * page is scanned while up to {@link #WINDOW} earlier ones are being applied. Blocking; runs on its own (virtual) thread.
 */
final class PairCopier {
  private static final Logger LOG = LoggerFactory.getLogger(PairCopier.class);
  /** A MigrateIn stays well under the smallest Raft append batch (4 MiB), whatever the values' sizes. */
  static final long MAX_CHUNK_BYTES = 2L << 20;
  /**
   * Pages being applied at once. Order does not matter to MigrateIn (each record keeps its version and only ever
   * replaces an older one); the cursor only moves past a page once every page before it was applied. Measured
   * (bench-migration, 200k keys, box at load ~40 on 2 cores, {@link Timings} in the log): with pages of 10,000 keys
   * a MigrateIn took 0.7-1.8 s from send to reply, of which ~0.25 s applying, so several in flight keep the target's
   * log busy; 4 pages of 10,000 keys of 100 B keep ~6 MiB in flight per pair, inside RaftTuning's appender and gRPC
   * limits (each MigrateIn is cut at {@link #MAX_CHUNK_BYTES}).
   */
  static final int WINDOW = 4;
  private static final int RECORD_OVERHEAD = 32;

  private final ShardOps ops;
  private final MigrationPlan.Transfer transfer;
  private final MigrationToken token;
  private final CopyProgress progress;
  private final Throttle throttle;
  private final IntSupplier batchSize;
  private final Retrying retrying;
  private final LongConsumer copiedMetric;
  private final String where;

  PairCopier(ShardOps ops, MigrationPlan.Transfer transfer, MigrationToken token, CopyProgress progress,
             Throttle throttle, IntSupplier batchSize, Retrying retrying, LongConsumer copiedMetric) {
    this.ops = ops;
    this.transfer = transfer;
    this.token = token;
    this.progress = progress;
    this.throttle = throttle;
    this.batchSize = batchSize;
    this.retrying = retrying;
    this.copiedMetric = copiedMetric;
    this.where = "copy " + transfer.key();
  }

  /**
   * Independent scan streams per pair. A page's scan (a linearizable read of up to a batch of records, sent back
   * whole) cannot start before the previous page's end is known, and the measurement showed the pairs waiting on
   * scans most of the time (5.1 of 5.7 s, see {@link #WINDOW}); so a pair's ranges are cut into lanes, each scanned
   * and applied on its own, each with its own window.
   */
  static final int LANES = 2;

  void run() throws InterruptedException {
    if (progress.done(transfer)) {
      return;
    }
    long started = System.nanoTime();
    List<Lane> lanes = lanes(transfer.ranges(), progress.cursor(transfer), LANES);
    if (lanes.size() == 1) {
      lanes.getFirst().run();
    } else {
      try (java.util.concurrent.ExecutorService each =
               java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
        List<java.util.concurrent.Future<?>> running = new ArrayList<>();
        for (Lane l : lanes) {
          running.add(each.submit(() -> {
            l.run();
            return null;
          }));
        }
        for (java.util.concurrent.Future<?> f : running) {
          try {
            f.get();
          } catch (java.util.concurrent.ExecutionException e) {
            // The other lanes stop at their next check (the run is stopping) or end; the step is retried as a whole.
            if (e.getCause() instanceof RuntimeException re) {
              throw re;
            }
            if (e.getCause() instanceof InterruptedException ie) {
              throw ie;
            }
            throw new IllegalStateException(e.getCause());
          }
        }
      }
    }
    Timings all = new Timings();
    for (Lane l : lanes) {
      all.add(l.timings);
    }
    all.totalNanos = System.nanoTime() - started;
    LOG.info("{}: {} ({} lanes)", where, all, lanes.size());
  }

  /**
   * The pair's ranges left after {@code resume}, cut into at most {@code n} lanes of consecutive ranges (by count).
   * The first lane starts at {@code resume}; each other one just before its first range.
   */
  List<Lane> lanes(io.kvpipe.common.ring.HashRanges ranges, ScanCursor resume, int n) {
    List<io.kvpipe.common.ring.HashRange> left = ranges.ranges().stream()
        .filter(r -> resume == null || r.end() > resume.position()).toList();
    if (left.isEmpty()) {
      // Nothing after the cursor: one lane whose first scan says so, and marks the pair done.
      return List.of(new Lane(0, ranges, resume));
    }
    int lanes = Math.max(1, Math.min(n, left.size()));
    List<Lane> out = new ArrayList<>(lanes);
    for (int i = 0; i < lanes; i++) {
      List<io.kvpipe.common.ring.HashRange> part = left.subList(i * left.size() / lanes,
          (i + 1) * left.size() / lanes);
      out.add(new Lane(i, io.kvpipe.common.ring.HashRanges.of(part),
          i == 0 ? resume : new ScanCursor(part.getFirst().start(), new byte[0])));
    }
    cursors = new ScanCursor[lanes];
    finished = new boolean[lanes];
    for (int i = 0; i < lanes; i++) {
      cursors[i] = out.get(i).start;
    }
    return out;
  }

  private ScanCursor[] cursors = new ScanCursor[] {null};
  private boolean[] finished = new boolean[] {false};

  /**
   * A lane's page was applied ({@code next}: where the lane resumes, null when it is done). The pair's saved cursor
   * is the first unfinished lane's: everything before it was applied, in that lane and in the lanes before it, which
   * are done. A resume from it copies again what later lanes already applied, which changes nothing (a copy only
   * ever replaces an older version).
   */
  private synchronized void laneAdvanced(int lane, ScanCursor next, int keys) {
    if (next == null) {
      finished[lane] = true;
    } else {
      cursors[lane] = next;
    }
    ScanCursor pair = null;
    for (int i = 0; i < finished.length; i++) {
      if (!finished[i]) {
        pair = cursors[i] == null ? new ScanCursor(0, new byte[0]) : cursors[i];
        break;
      }
    }
    progress.advance(transfer, pair, keys);
    copiedMetric.accept(keys);
  }

  /** One scan stream of the pair: pages scanned from the source, applied on the target, {@link #WINDOW} at once. */
  final class Lane {
    private final int index;
    private final io.kvpipe.common.ring.HashRanges ranges;
    private final ScanCursor start;
    private final Timings timings = new Timings();

    Lane(int index, io.kvpipe.common.ring.HashRanges ranges, ScanCursor start) {
      this.index = index;
      this.ranges = ranges;
      this.start = start;
    }

    io.kvpipe.common.ring.HashRanges ranges() {
      return ranges;
    }

    /** Where the lane's first scan starts (exclusive); null: at the beginning of its ranges. */
    ScanCursor start() {
      return start;
    }

    void run() throws InterruptedException {
      ScanCursor cursor = start;
      CompletableFuture<Reply.ScanPage> prefetched = scan(cursor);
      ArrayDeque<Applying> window = new ArrayDeque<>();
      while (true) {
        ScanCursor at = cursor;
        long waitFrom = System.nanoTime();
        Reply.ScanPage page = retrying.await(where + " (scan " + transfer.source() + ")", prefetched, () -> scan(at));
        timings.scanWaitNanos += System.nanoTime() - waitFrom;
        timings.pages++;
        prefetched = page.next() == null ? null : scan(page.next());
        throttle.acquire(page.entries().size());
        window.addLast(new Applying(page, chunks(page.entries()).stream().map(c -> new Chunk(c,
            timed(ops.migrateIn(transfer.target(), c, token)))).toList()));
        while (window.size() >= WINDOW || (page.next() == null && !window.isEmpty())) {
          long applyFrom = System.nanoTime();
          finish(window.removeFirst());
          timings.applyWaitNanos += System.nanoTime() - applyFrom;
        }
        if (page.next() == null) {
          return;
        }
        cursor = page.next();
      }
    }

    private CompletableFuture<Reply.ScanPage> scan(ScanCursor after) {
      return ops.scan(transfer.source(), ranges, after, batchSize.getAsInt());
    }

    /** Waits for a page's MigrateIns (retrying any that failed), then moves the lane's cursor past it. */
    private void finish(Applying a) {
      for (Chunk c : a.chunks()) {
        retrying.await(where + " (MigrateIn " + transfer.target() + ")", c.applying(),
            () -> ops.migrateIn(transfer.target(), c.records(), token));
      }
      timings.keys += a.page().entries().size();
      laneAdvanced(index, a.page().next(), a.page().entries().size());
    }

    private CompletableFuture<Reply.Migrated> timed(CompletableFuture<Reply.Migrated> f) {
      long from = System.nanoTime();
      return f.whenComplete((r, e) -> {
        synchronized (timings) {
          timings.migrateInNanos += System.nanoTime() - from;
          timings.chunks++;
        }
      });
    }
  }

  /** Where a pair's copy time went, logged when it ends (the measurement behind the window and lane counts). */
  static final class Timings {
    long pages;
    long chunks;
    long keys;
    long scanWaitNanos;
    long applyWaitNanos;
    long migrateInNanos;
    long totalNanos;

    synchronized void add(Timings o) {
      synchronized (o) {
        pages += o.pages;
        chunks += o.chunks;
        keys += o.keys;
        scanWaitNanos += o.scanWaitNanos;
        applyWaitNanos += o.applyWaitNanos;
        migrateInNanos += o.migrateInNanos;
      }
    }

    @Override
    public String toString() {
      return String.format(java.util.Locale.ROOT, "%,d keys in %.2f s (%,.0f keys/s): %d pages, %d MigrateIns"
              + " (mean %.1f ms each, from send to reply); lanes waited %.2f s on source scans, %.2f s on target"
              + " applies (summed over lanes)",
          keys, totalNanos / 1e9, totalNanos == 0 ? 0 : keys / (totalNanos / 1e9), pages, chunks,
          chunks == 0 ? 0 : migrateInNanos / 1e6 / chunks, scanWaitNanos / 1e9, applyWaitNanos / 1e9);
    }
  }

  private record Chunk(List<Entry> records, CompletableFuture<Reply.Migrated> applying) {}

  private record Applying(Reply.ScanPage page, List<Chunk> chunks) {}

  /** The page split so no MigrateIn exceeds {@link #MAX_CHUNK_BYTES}; a single larger record goes alone. */
  static List<List<Entry>> chunks(List<Entry> entries) {
    List<List<Entry>> out = new ArrayList<>();
    List<Entry> current = new ArrayList<>();
    long bytes = 0;
    for (Entry e : entries) {
      long size = e.key().length + (e.value() == null ? 0 : e.value().length) + RECORD_OVERHEAD;
      if (!current.isEmpty() && bytes + size > MAX_CHUNK_BYTES) {
        out.add(current);
        current = new ArrayList<>();
        bytes = 0;
      }
      current.add(e);
      bytes += size;
    }
    if (!current.isEmpty()) {
      out.add(current);
    }
    return out;
  }
}
