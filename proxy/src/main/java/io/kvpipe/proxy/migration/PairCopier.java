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

/**
 * Copies one (source, target) pair's moving ranges: scans the source page by page from the saved cursor and applies
 * each page on the target with MigrateIn (live records and tombstones, each keeping its version). Pipelined: the next
 * page is scanned while up to {@link #WINDOW} earlier ones are being applied. Blocking; runs on its own (virtual) thread.
 */
final class PairCopier {
  /** A MigrateIn stays well under the smallest Raft append batch (4 MiB), whatever the values' sizes. */
  static final long MAX_CHUNK_BYTES = 2L << 20;
  /**
   * Pages being applied at once. Order does not matter to MigrateIn (each record keeps its version and only ever
   * replaces an older one); the cursor only moves past a page once every page before it was applied.
   */
  static final int WINDOW = 2;
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
    ScanCursor cursor = progress.cursor(transfer);
    CompletableFuture<Reply.ScanPage> prefetched = scan(cursor);
    ArrayDeque<Applying> window = new ArrayDeque<>();
    while (true) {
      ScanCursor at = cursor;
      Reply.ScanPage page = retrying.await(where + " (scan " + transfer.source() + ")", prefetched, () -> scan(at));
      prefetched = page.next() == null ? null : scan(page.next());
      throttle.acquire(page.entries().size());
      window.addLast(new Applying(page, chunks(page.entries()).stream().map(c -> new Chunk(c,
          ops.migrateIn(transfer.target(), c, token))).toList()));
      while (window.size() >= WINDOW || (page.next() == null && !window.isEmpty())) {
        finish(window.removeFirst());
      }
      if (page.next() == null) {
        return;
      }
      cursor = page.next();
    }
  }

  /** Waits for a page's MigrateIns (retrying any that failed), then moves the pair's cursor past it. */
  private void finish(Applying a) {
    for (Chunk c : a.chunks()) {
      retrying.await(where + " (MigrateIn " + transfer.target() + ")", c.applying(),
          () -> ops.migrateIn(transfer.target(), c.records(), token));
    }
    progress.advance(transfer, a.page().next(), a.page().entries().size());
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
