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

  void run() throws InterruptedException {
    if (progress.done(transfer)) {
      return;
    }
    long started = System.nanoTime();
    ScanCursor cursor = progress.cursor(transfer);
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
        timings.totalNanos = System.nanoTime() - started;
        LOG.info("{}: {}", where, timings);
        return;
      }
      cursor = page.next();
    }
  }

  /** Where a pair's copy time went, logged when it ends (the measurement behind the window and chunk sizes). */
  static final class Timings {
    long pages;
    long chunks;
    long keys;
    long scanWaitNanos;
    long applyWaitNanos;
    long migrateInNanos;
    long totalNanos;

    @Override
    public String toString() {
      return String.format(java.util.Locale.ROOT, "%,d keys in %.2f s (%,.0f keys/s): %d pages, %d MigrateIns"
              + " (mean %.1f ms each, from send to reply); waited %.2f s on source scans, %.2f s on target applies",
          keys, totalNanos / 1e9, totalNanos == 0 ? 0 : keys / (totalNanos / 1e9), pages, chunks,
          chunks == 0 ? 0 : migrateInNanos / 1e6 / chunks, scanWaitNanos / 1e9, applyWaitNanos / 1e9);
    }
  }

  private final Timings timings = new Timings();

  private CompletableFuture<Reply.Migrated> timed(CompletableFuture<Reply.Migrated> f) {
    long from = System.nanoTime();
    return f.whenComplete((r, e) -> {
      synchronized (timings) {
        timings.migrateInNanos += System.nanoTime() - from;
        timings.chunks++;
      }
    });
  }

  /** Waits for a page's MigrateIns (retrying any that failed), then moves the pair's cursor past it. */
  private void finish(Applying a) {
    for (Chunk c : a.chunks()) {
      retrying.await(where + " (MigrateIn " + transfer.target() + ")", c.applying(),
          () -> ops.migrateIn(transfer.target(), c.records(), token));
    }
    progress.advance(transfer, a.page().next(), a.page().entries().size());
    timings.keys += a.page().entries().size();
    copiedMetric.accept(a.page().entries().size());
  }

  private record Chunk(List<Entry> records, CompletableFuture<Reply.Migrated> applying) {}

  private record Applying(Reply.ScanPage page, List<Chunk> chunks) {}

  private CompletableFuture<Reply.ScanPage> scan(ScanCursor after) {
    return ops.scan(transfer.source(), transfer.ranges(), after, batchSize.getAsInt());
  }

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
