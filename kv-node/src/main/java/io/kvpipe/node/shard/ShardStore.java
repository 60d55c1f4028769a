package io.kvpipe.node.shard;

import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.ScanCursor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The records of one shard, live values and tombstones, ordered by (ring position, key bytes) so a scan over hash
 * ranges is a walk of the sub-maps. Thread ownership: only the Raft apply thread writes; query threads read
 * concurrently (the skip list makes each record's replacement atomic).
 */
final class ShardStore {
  /** Ordering key: ring position first (for range scans), then unsigned key bytes (to break hash ties). */
  record Slot(long position, byte[] key) {}

  /** A record: {@code value == null} is a tombstone. */
  record Rec(byte[] value, long version) {
    boolean live() {
      return value != null;
    }
  }

  private static final Comparator<Slot> ORDER = (a, b) -> {
    int c = Long.compare(a.position(), b.position());
    return c != 0 ? c : Arrays.compareUnsigned(a.key(), b.key());
  };

  private final ConcurrentSkipListMap<Slot, Rec> records = new ConcurrentSkipListMap<>(ORDER);

  static Slot slot(byte[] key) {
    return new Slot(HashRing.position(key), key);
  }

  Rec get(byte[] key) {
    return records.get(slot(key));
  }

  void put(byte[] key, Rec rec) {
    records.put(slot(key), rec);
  }

  int size() {
    return records.size();
  }

  Iterable<Map.Entry<Slot, Rec>> all() {
    return records.entrySet();
  }

  /**
   * Up to {@code limit} records in {@code ranges} strictly after {@code after}, and the cursor to continue from (null
   * when nothing is left).
   */
  ScanResult scan(HashRanges ranges, ScanCursor after, int limit) {
    List<Entry> out = new ArrayList<>(Math.min(limit, 1024));
    Slot last = null;
    boolean more = false;
    outer:
    for (HashRange r : ranges.ranges()) {
      if (after != null && after.position() >= r.end()) {
        continue;
      }
      Map<Slot, Rec> view;
      Slot lo = new Slot(r.start(), new byte[0]);
      Slot hi = new Slot(r.end(), new byte[0]);
      if (after != null && after.position() >= r.start()) {
        view = records.subMap(new Slot(after.position(), after.key()), false, hi, false);
      } else {
        view = records.subMap(lo, true, hi, false);
      }
      for (Map.Entry<Slot, Rec> e : view.entrySet()) {
        if (out.size() == limit) {
          more = true;
          break outer;
        }
        out.add(new Entry(e.getKey().key(), e.getValue().value(), e.getValue().version()));
        last = e.getKey();
      }
    }
    ScanCursor next = more && last != null ? new ScanCursor(last.position(), last.key()) : null;
    return new ScanResult(out, next);
  }

  record ScanResult(List<Entry> entries, ScanCursor next) {}
}
