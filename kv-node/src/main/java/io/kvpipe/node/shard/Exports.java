package io.kvpipe.node.shard;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The backup exports a replica holds: each the list of the group's live owned records as of one log index, read page
 * by page by a backup while writes go on. Not part of the replicated state (never in a snapshot; a restarted replica
 * rebuilds an export only by replaying its OpenExport entry), so the bounds here may use the local clock.
 *
 * <p>Memory: an export holds one small object per live record; keys and values are shared with the store (records
 * are replaced, never changed in place), so it costs no copy of the data. At most {@link #MAX_OPEN} are held; opening
 * one more drops the oldest, and one unread for {@link #IDLE} is dropped at the next open or page.
 *
 * <p>Threads: the apply thread opens and closes, query threads read pages.
 */
final class Exports {
  static final int MAX_OPEN = 2;
  static final Duration IDLE = Duration.ofMinutes(10);

  private record Export(long logIndex, long epoch, HashRanges owned, Entry[] records, long[] lastRead) {}

  private final Map<String, Export> open = new LinkedHashMap<>();

  static void checkId(String id) {
    if (id.isEmpty() || id.length() > Command.OpenExport.MAX_ID_LENGTH) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST,
          "an export id has 1.." + Command.OpenExport.MAX_ID_LENGTH + " characters");
    }
  }

  /**
   * Apply thread: sets aside {@code state}'s records live at {@code nowMs} (the entry's stamp) in the ranges it owns,
   * in key order, as of {@code index}.
   */
  synchronized Reply.ExportOpened open(String id, long index, long nowMs, ShardState state) {
    checkId(id);
    dropIdle();
    Ownership own = state.ownership();
    Entry[] records = state.store().liveIn(own.ranges(), nowMs).toArray(Entry[]::new);
    open.remove(id);
    while (open.size() >= MAX_OPEN) {
      open.remove(open.keySet().iterator().next());
    }
    open.put(id, new Export(index, own.epoch(), own.ranges(), records, new long[] {System.nanoTime()}));
    return new Reply.ExportOpened(id, index, own.epoch(), own.ranges(), records.length);
  }

  synchronized boolean close(String id) {
    return open.remove(id) != null;
  }

  Reply.KeyPage page(Query.ExportPage q) {
    if (q.limit() < 1 || q.limit() > Query.MAX_ITEMS || q.maxBytes() < 1 || q.offset() < 0) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "an export page needs offset >= 0, limit 1.."
          + Query.MAX_ITEMS + " and a positive byte bound");
    }
    Export e;
    synchronized (this) {
      dropIdle();
      e = open.get(q.exportId());
      if (e == null) {
        throw new KvException(ErrorCode.NOT_FOUND, "export " + q.exportId() + " is not open on this replica (closed,"
            + " dropped after " + IDLE.toMinutes() + " idle minutes or by a newer export, or never opened):"
            + " open a new one");
      }
      e.lastRead()[0] = System.nanoTime();
    }
    List<Entry> out = new ArrayList<>(Math.min(q.limit(), 1024));
    long bytes = 0;
    int i = (int) Math.min(q.offset(), e.records().length);
    for (; i < e.records().length && out.size() < q.limit(); i++) {
      Entry r = e.records()[i];
      if (!out.isEmpty() && bytes + r.value().length > q.maxBytes()) {
        break;
      }
      bytes += r.value().length;
      out.add(r);
    }
    return new Reply.KeyPage(e.epoch(), e.owned(), out, i < e.records().length);
  }

  private void dropIdle() {
    long now = System.nanoTime();
    open.values().removeIf(e -> now - e.lastRead()[0] > IDLE.toNanos());
  }
}
