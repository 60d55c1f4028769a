package io.kvpipe.node.shard;

import io.kvpipe.common.Keys;
import io.kvpipe.common.Ttl;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers reads from a shard's applied state: gets (a key past its deadline reads as a tombstone), batches, scans in
 * ring and key order, export pages, status. Runs on query threads; never changes the state.
 */
final class ShardQueries {
  private ShardQueries() {}

  static Reply answer(ShardState s, Query query) {
    try {
      return switch (query) {
        case Query.Get g -> new Reply.Found(entry(s, g.key(), true, s.readTimeMs()));
        case Query.Batch b -> {
          List<Reply> replies = new ArrayList<>(b.reads().size());
          for (Query q : b.reads()) {
            replies.add(answer(s, q));
          }
          yield new Reply.Batch(replies);
        }
        // The migration's read of a record to copy: as stored, deadline included (the new owner expires it).
        case Query.FallbackGet g -> new Reply.Found(entry(s, g.key(), false, Long.MIN_VALUE));
        case Query.BatchGet b -> {
          if (b.keys().size() > Query.MAX_ITEMS) {
            throw new KvException(ErrorCode.MALFORMED_REQUEST, "at most " + Query.MAX_ITEMS + " keys per batch");
          }
          List<Entry> out = new ArrayList<>(b.keys().size());
          long now = s.readTimeMs();
          for (byte[] k : b.keys()) {
            out.add(entry(s, k, true, now));
          }
          yield new Reply.FoundMany(out);
        }
        case Query.Scan scan -> {
          if (scan.limit() < 1 || scan.limit() > Query.MAX_ITEMS) {
            throw new KvException(ErrorCode.MALFORMED_REQUEST, "scan limit must be within 1.." + Query.MAX_ITEMS);
          }
          ShardStore.ScanResult r = s.store().scan(scan.ranges(), scan.after(), scan.limit());
          yield new Reply.ScanPage(r.entries(), r.next());
        }
        case Query.KeyScan ks -> {
          if (ks.limit() < 1 || ks.limit() > Query.MAX_ITEMS) {
            throw new KvException(ErrorCode.MALFORMED_REQUEST, "scan limit must be within 1.." + Query.MAX_ITEMS);
          }
          if (ks.maxBytes() < 1) {
            throw new KvException(ErrorCode.MALFORMED_REQUEST, "scan byte bound must be positive");
          }
          // Read before the walk: a range owned then was owned for every record the walk meets after it, and a range
          // fenced meanwhile holds records that no longer change.
          Ownership own = s.ownership();
          ShardStore.KeyScanResult r = s.store().scanKeys(ks.start(), ks.end(), ks.limit(), ks.values(),
              ks.maxBytes(), s.readTimeMs());
          yield new Reply.KeyPage(own.epoch(), own.ranges(), r.entries(), r.more());
        }
        case Query.ExportPage p -> s.exports().page(p);
        case Query.Status st -> {
          Ownership own = s.ownership();
          yield new Reply.Status(own.epoch(), own.ranges(), s.appliedIndex(), s.outbox().confirmedIndex(),
              s.outbox().size(), s.outbox().bytes(), s.store().size());
        }
      };
    } catch (KvException e) {
      return Reply.Failure.of(e);
    }
  }

  /**
   * The key's record. A plain read of a key the group does not own is refused (a proxy on an old ring must refresh
   * rather than read a copy that stopped changing); the migration's fallback read skips that check. A live record
   * past its deadline at {@code nowMs} reads as a tombstone of its version ({@link Long#MIN_VALUE}: as stored).
   */
  private static Entry entry(ShardState s, byte[] key, boolean mustOwn, long nowMs) {
    Keys.validateKey(key);
    ShardStore.Slot slot = ShardStore.slot(key);
    if (mustOwn) {
      s.checks().checkOwned(slot.position());
    }
    ShardStore.Rec r = s.store().get(slot);
    if (r == null) {
      return null;
    }
    if (r.live() && !r.liveAt(nowMs)) {
      // Past its deadline, not collected yet: a tombstone to the reader (it hides any older copy, as a delete would).
      return new Entry(key, null, r.version());
    }
    return new Entry(key, r.value(), r.version(), r.live() ? r.expiresAtMs() : Ttl.NONE);
  }
}
