package io.kvpipe.node.shard;

import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.ScanCursor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;
import io.kvpipe.common.Ttl;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The records of one shard, live values and tombstones, ordered by (ring position, key bytes) so a scan over hash
 * ranges is a walk of the sub-maps. Tombstones are also indexed on their own, so collecting them never walks the live
 * records. Thread ownership: only the Raft apply thread writes (and reads the tombstone index); query threads read
 * the records concurrently (the skip list makes each record's replacement atomic).
 *
 * <p>A second index orders the same records by key bytes alone (unsigned, i.e. by code point for UTF-8), so a scan of
 * a key range or prefix seeks to its start instead of walking every record. The apply thread updates both indexes
 * record by record; a reader may see one a record ahead of the other, never a record lost.
 */
final class ShardStore {
  /** Ordering key: ring position first (for range scans), then unsigned key bytes (to break hash ties). */
  record Slot(long position, byte[] key) {}

  /**
   * A record: {@code value == null} is a tombstone. {@code expiresAtMs}: the TTL deadline in the leader's epoch
   * milliseconds, {@link Ttl#NONE} for none (a tombstone never has one).
   */
  record Rec(byte[] value, long version, long expiresAtMs) {
    Rec(byte[] value, long version) {
      this(value, version, Ttl.NONE);
    }

    boolean live() {
      return value != null;
    }

    /** Live and not past its deadline at {@code nowMs}. */
    boolean liveAt(long nowMs) {
      return value != null && !Ttl.expired(expiresAtMs, nowMs);
    }

    boolean hasTtl() {
      return value != null && expiresAtMs != Ttl.NONE;
    }
  }

  /** An entry of the expiry index: a live record with a TTL, ordered by deadline, then store order. */
  record Due(long expiresAtMs, Slot slot) {}

  /** What a bounded removal did: how many records went, and whether matching ones are left. */
  record Removal(int removed, boolean more) {}

  private static final Comparator<Slot> ORDER = (a, b) -> {
    int c = Long.compare(a.position(), b.position());
    return c != 0 ? c : Arrays.compareUnsigned(a.key(), b.key());
  };
  private static final byte[] NO_KEY = new byte[0];
  private static final Comparator<Due> BY_DEADLINE = (a, b) -> {
    int c = Long.compare(a.expiresAtMs(), b.expiresAtMs());
    return c != 0 ? c : ORDER.compare(a.slot(), b.slot());
  };

  private final ConcurrentSkipListMap<Slot, Rec> records = new ConcurrentSkipListMap<>(ORDER);
  private final TreeSet<Slot> tombstones = new TreeSet<>(ORDER);
  private final ConcurrentSkipListMap<byte[], Rec> byKey = new ConcurrentSkipListMap<>(Arrays::compareUnsigned);
  /**
   * The live records with a TTL by deadline, so the leader finds the keys due without walking the store. Written by
   * the apply thread beside the records; read concurrently by the leader's expiry collector, whose proposals are
   * checked again at apply, so a moment's disagreement between the two only delays or skips a proposal.
   */
  private final ConcurrentSkipListSet<Due> expiries = new ConcurrentSkipListSet<>(BY_DEADLINE);
  /** The skip list's own size() walks every record; the apply thread keeps the count instead. */
  private volatile int count;
  /** The frozen view being read (a snapshot being written), or null. */
  private volatile Frozen frozen;
  private static final Rec ABSENT = new Rec(null, Long.MIN_VALUE);

  static Slot slot(byte[] key) {
    return new Slot(HashRing.position(key), key);
  }

  Rec get(byte[] key) {
    return records.get(slot(key));
  }

  Rec get(Slot slot) {
    return records.get(slot);
  }

  void put(byte[] key, Rec rec) {
    put(slot(key), rec);
  }

  void put(Slot slot, Rec rec) {
    preserve(slot);
    Rec previous = records.put(slot, rec);
    byKey.put(slot.key(), rec);
    if (previous == null) {
      count++;
    }
    reindexExpiry(slot, previous, rec);
    boolean wasTombstone = previous != null && !previous.live();
    if (!rec.live() && !wasTombstone) {
      tombstones.add(slot);
    } else if (rec.live() && wasTombstone) {
      tombstones.remove(slot);
    }
  }

  /** Inserts {@code rec} only if the key has no record; returns the record it has, or null if inserted. */
  Rec putIfAbsent(Slot slot, Rec rec) {
    preserve(slot);
    Rec existing = records.putIfAbsent(slot, rec);
    if (existing == null) {
      byKey.put(slot.key(), rec);
      count++;
      if (!rec.live()) {
        tombstones.add(slot);
      }
      reindexExpiry(slot, null, rec);
    }
    return existing;
  }

  private void reindexExpiry(Slot slot, Rec previous, Rec now) {
    if (previous != null && previous.hasTtl()
        && (now == null || !now.hasTtl() || now.expiresAtMs() != previous.expiresAtMs())) {
      expiries.remove(new Due(previous.expiresAtMs(), slot));
    }
    if (now != null && now.hasTtl()) {
      expiries.add(new Due(now.expiresAtMs(), slot));
    }
  }

  /**
   * Up to {@code limit} live records in {@code ranges} whose deadline is at or before {@code nowMs}, earliest first,
   * with the record each had when read: a walk from the head of the expiry index that stops at the first one not yet
   * due, or after {@code 4 * limit} entries (records a migration moved away wait there for their purge).
   */
  List<Map.Entry<Slot, Rec>> due(long nowMs, int limit, HashRanges ranges) {
    List<Map.Entry<Slot, Rec>> out = new ArrayList<>(Math.min(limit, 256));
    int visited = 0;
    for (Due d : expiries) {
      if (d.expiresAtMs() > nowMs || out.size() == limit || visited++ == 4 * limit) {
        break;
      }
      if (!ranges.contains(d.slot().position())) {
        continue;
      }
      Rec r = records.get(d.slot());
      if (r != null && r.hasTtl() && r.expiresAtMs() == d.expiresAtMs()) {
        out.add(Map.entry(d.slot(), r));
      }
    }
    return out;
  }

  /** How many live records have a TTL. */
  int withTtl() {
    return expiries.size();
  }

  /** The earliest deadline in the store, or {@link Ttl#NONE} when no live record has a TTL. */
  long earliestDeadline() {
    try {
      return expiries.first().expiresAtMs();
    } catch (java.util.NoSuchElementException e) {
      return Ttl.NONE;
    }
  }

  int size() {
    return count;
  }

  int tombstoneCount() {
    return tombstones.size();
  }

  Iterable<Map.Entry<Slot, Rec>> all() {
    return records.entrySet();
  }

  /**
   * Removes up to {@code limit} records (tombstones included) whose position lies in {@code ranges}, in store order.
   * Each range is a seek into the skip list, so records outside {@code ranges} are never visited.
   */
  Removal removeIn(HashRanges ranges, int limit) {
    int removed = 0;
    for (HashRange r : ranges.ranges()) {
      Iterator<Map.Entry<Slot, Rec>> it = records.subMap(low(r), true, high(r), false).entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<Slot, Rec> e = it.next();
        if (removed == limit) {
          return new Removal(removed, true);
        }
        preserve(e.getKey(), e.getValue());
        it.remove();
        byKey.remove(e.getKey().key());
        reindexExpiry(e.getKey(), e.getValue(), null);
        count--;
        if (!e.getValue().live()) {
          tombstones.remove(e.getKey());
        }
        removed++;
      }
    }
    return new Removal(removed, false);
  }

  /** Removes up to {@code limit} tombstones whose position lies in {@code ranges}, in store order. */
  Removal removeTombstonesIn(HashRanges ranges, int limit) {
    int removed = 0;
    for (HashRange r : ranges.ranges()) {
      NavigableSet<Slot> view = tombstones.subSet(low(r), true, high(r), false);
      Iterator<Slot> it = view.iterator();
      while (it.hasNext()) {
        Slot s = it.next();
        if (removed == limit) {
          return new Removal(removed, true);
        }
        preserve(s);
        it.remove();
        records.remove(s);
        byKey.remove(s.key());
        count--;
        removed++;
      }
    }
    return new Removal(removed, false);
  }

  /** Keeps {@code slot}'s record as it is now, if a frozen view is being read and has not kept it yet. */
  private void preserve(Slot slot) {
    Frozen f = frozen;
    if (f != null) {
      f.keep(slot, records.get(slot));
    }
  }

  private void preserve(Slot slot, Rec current) {
    Frozen f = frozen;
    if (f != null) {
      f.keep(slot, current);
    }
  }

  /**
   * The records as they are now, readable once (by another thread) while the apply thread goes on changing the
   * store. Apply thread only; one frozen view at a time.
   */
  Frozen freeze() {
    if (frozen != null) {
      throw new IllegalStateException("a frozen view is still being read");
    }
    Frozen f = new Frozen(count);
    frozen = f;
    return f;
  }

  /**
   * A frozen view of the records: {@link #forEach} once, then {@link #release}. The walk reads the live skip list;
   * before the apply thread first changes or removes a record, it keeps the record's value as of the freeze here,
   * noting whether the walk had already passed it. The walk gives a kept value instead of the live one, and the
   * records it could not meet (removed before it got there) are given at the end. The walk's step over one record
   * and the apply thread's keeping of one record are mutually exclusive, so each record is given exactly once.
   */
  final class Frozen {
    /** A record's value at the freeze ({@link #ABSENT}: none), and whether the walk had passed it by then. */
    private record Kept(Rec rec, boolean passed) {}

    private final int size;
    private final ConcurrentSkipListMap<Slot, Kept> kept = new ConcurrentSkipListMap<>(ORDER);
    /** Guards {@link #cursor} and the step of the walk over one record against {@link #keep}. */
    private final Object step = new Object();
    private Slot cursor;

    private Frozen(int size) {
      this.size = size;
    }

    /** How many records the view holds. */
    int size() {
      return size;
    }

    private void keep(Slot slot, Rec current) {
      synchronized (step) {
        if (!kept.containsKey(slot)) {
          kept.put(slot, new Kept(current == null ? ABSENT : current, cursor != null && ORDER.compare(slot, cursor) <= 0));
        }
      }
    }

    /** Each record of the view: in store order, then the ones removed since the freeze that the walk did not meet. */
    void forEach(java.util.function.BiConsumer<Slot, Rec> action) {
      TreeSet<Slot> usedKept = new TreeSet<>(ORDER);
      for (Map.Entry<Slot, Rec> e : records.entrySet()) {
        Rec give;
        synchronized (step) {
          Kept k = kept.get(e.getKey());
          if (k != null) {
            usedKept.add(e.getKey());
          }
          give = k == null ? e.getValue() : k.rec();
          cursor = e.getKey();
        }
        if (give != ABSENT) {
          action.accept(e.getKey(), give);
        }
      }
      for (Map.Entry<Slot, Kept> e : kept.entrySet()) {
        Kept k = e.getValue();
        if (k.rec() != ABSENT && !k.passed() && !usedKept.contains(e.getKey())) {
          action.accept(e.getKey(), k.rec());
        }
      }
    }

    /** Stops keeping values aside for this view. */
    void release() {
      if (frozen == this) {
        frozen = null;
      }
    }
  }

  private static Slot low(HashRange r) {
    return new Slot(r.start(), NO_KEY);
  }

  private static Slot high(HashRange r) {
    return new Slot(r.end(), NO_KEY);
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
      if (after != null && after.position() >= r.start()) {
        view = records.subMap(new Slot(after.position(), after.key()), false, high(r), false);
      } else {
        view = records.subMap(low(r), true, high(r), false);
      }
      for (Map.Entry<Slot, Rec> e : view.entrySet()) {
        if (out.size() == limit) {
          more = true;
          break outer;
        }
        Rec rec = e.getValue();
        out.add(new Entry(e.getKey().key(), rec.value(), rec.version(), rec.live() ? rec.expiresAtMs() : Ttl.NONE));
        last = e.getKey();
      }
    }
    ScanCursor next = more && last != null ? new ScanCursor(last.position(), last.key()) : null;
    return new ScanResult(out, next);
  }

  record ScanResult(List<Entry> entries, ScanCursor next) {}

  /**
   * Up to {@code limit} records (tombstones included) with keys in [{@code start}, {@code end}) ({@code end} null:
   * unbounded) in key order, stopping once the values taken reach {@code maxBytes} (the first record always fits).
   * Without {@code values} a live record's value is empty. A live record past its deadline at {@code nowMs} is given
   * as a tombstone. {@code more}: the walk stopped before the end.
   */
  KeyScanResult scanKeys(byte[] start, byte[] end, int limit, boolean values, long maxBytes, long nowMs) {
    Map<byte[], Rec> view = end == null ? byKey.tailMap(start, true)
        : Arrays.compareUnsigned(start, end) >= 0 ? Map.of() : byKey.subMap(start, true, end, false);
    List<Entry> out = new ArrayList<>(Math.min(limit, 1024));
    long bytes = 0;
    for (Map.Entry<byte[], Rec> e : view.entrySet()) {
      Rec rec = e.getValue();
      if (rec.live() && !rec.liveAt(nowMs)) {
        // Past its deadline but not collected yet: read as deleted (docs/ttl.md), at the version it had.
        rec = new Rec(null, rec.version());
      }
      long size = values && rec.live() ? rec.value().length : 0;
      if (out.size() == limit || (!out.isEmpty() && bytes + size > maxBytes)) {
        return new KeyScanResult(out, true);
      }
      bytes += size;
      out.add(new Entry(e.getKey(), rec.live() && !values ? NO_KEY : rec.value(), rec.version(), rec.expiresAtMs()));
    }
    return new KeyScanResult(out, false);
  }

  record KeyScanResult(List<Entry> entries, boolean more) {}

  /**
   * Every record in {@code ranges} live at {@code nowMs} (the entry's stamp: a key past its TTL is not live, even
   * before the leader collects it), in key order. Apply thread only, so nothing changes during the walk.
   */
  List<Entry> liveIn(HashRanges ranges, long nowMs) {
    List<Entry> out = new ArrayList<>(count);
    for (Map.Entry<byte[], Rec> e : byKey.entrySet()) {
      Rec rec = e.getValue();
      if (rec.liveAt(nowMs) && ranges.contains(HashRing.position(e.getKey()))) {
        out.add(new Entry(e.getKey(), rec.value(), rec.version(), rec.expiresAtMs()));
      }
    }
    return out;
  }
}
