package io.kvpipe.node.shard;

import static io.kvpipe.node.shard.StoreCodec.packRec;
import static io.kvpipe.node.shard.StoreCodec.packSlot;
import static io.kvpipe.node.shard.StoreCodec.slotsBefore;
import static io.kvpipe.node.shard.StoreCodec.unpack;
import static io.kvpipe.node.shard.StoreCodec.unpackRec;
import static io.kvpipe.node.shard.StoreCodec.unpackSlot;

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
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The records of one shard, live values and tombstones, ordered by (ring position, key bytes) so a scan over hash
 * ranges is a walk of the sub-maps. Tombstones are also indexed on their own, so collecting them never walks the live
 * records. Thread ownership: only the Raft apply thread writes (and reads the tombstone index); query threads read
 * the records concurrently.
 *
 * <p>A second index orders the keys by their bytes alone (unsigned, i.e. by code point for UTF-8), so a scan of a key
 * range or prefix seeks to its start instead of walking every record; it holds keys only, the values are read from
 * the first. The apply thread updates both indexes record by record; a reader may see one a record ahead of the
 * other, never a record lost.
 *
 * <p>Memory (issue 15): both indexes are {@link PackedMap}s, records packed ({@link StoreCodec}) into byte arrays of
 * ~64 records each, so a record costs its key and value plus ~31 bytes (position 4, version, deadline if any,
 * lengths, offsets, the key again in the key index), less what neighbouring keys share (each leaf keeps its keys'
 * common start once: most of a key in the key index when keys have a common shape, a byte or two of the position in
 * the records index), rather than ~160 bytes of skip-list nodes and object headers. {@link Slot} and {@link Rec} are
 * what callers get: made on each read, not kept.
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
  /** Records by {@link StoreCodec#packSlot}: payload {@link StoreCodec#packRec}. */
  private final PackedMap records = new PackedMap();
  private final TreeSet<Slot> tombstones = new TreeSet<>(ORDER);
  /** Keys by their bytes, empty payloads: the record is read from {@link #records}. */
  private final PackedMap byKey = new PackedMap();
  /**
   * The live records with a TTL by deadline, so the leader finds the keys due without walking the store. Written by
   * the apply thread beside the records; read concurrently by the leader's expiry collector, whose proposals are
   * checked again at apply, so a moment's disagreement between the two only delays or skips a proposal.
   */
  private final ConcurrentSkipListSet<Due> expiries = new ConcurrentSkipListSet<>(BY_DEADLINE);
  private volatile int count;
  /** The frozen view being read (a snapshot being written), or null. */
  private volatile FrozenRecords frozen;

  static Slot slot(byte[] key) {
    return new Slot(HashRing.position(key), key);
  }

  Rec get(byte[] key) {
    return get(slot(key));
  }

  Rec get(Slot slot) {
    PackedMap.View v = records.get(packSlot(slot.position(), slot.key()));
    return v == null ? null : unpackRec(v);
  }

  void put(byte[] key, Rec rec) {
    put(slot(key), rec);
  }

  void put(Slot slot, Rec rec) {
    PackedMap.View previous = records.put(packSlot(slot.position(), slot.key()), packRec(rec));
    index(slot, previous == null ? null : unpackRec(previous, false), rec);
  }

  /** Inserts {@code rec} only if the key has no record; returns the record it has, or null if inserted. */
  Rec putIfAbsent(Slot slot, Rec rec) {
    Rec existing = get(slot);
    if (existing == null) {
      put(slot, rec);
    }
    return existing;
  }

  /**
   * What {@link #putNewer} did: per record (in the caller's order) whether it was taken, and the record it replaced
   * (null: the key had none; a live one's value is kept only when {@code withValues}).
   */
  record Taken(boolean[] taken, Rec[] previous) {}

  /**
   * Takes each record whose key has no record here or one with an older version, as a migration's copy does, and
   * rebuilds each index leaf the batch touches once ({@link PackedMap#update}): a copy arrives in store order, so its
   * records fill a few leaves each instead of copying a leaf per record. Keys must be distinct (a batch that repeats
   * one goes record by record, with the same outcome as doing them in order).
   */
  Taken putNewer(Slot[] slots, Rec[] recs, boolean withValues) {
    int n = slots.length;
    boolean[] taken = new boolean[n];
    Rec[] previous = new Rec[n];
    byte[][] packed = new byte[n][];
    for (int i = 0; i < n; i++) {
      packed[i] = packSlot(slots[i].position(), slots[i].key());
    }
    Integer[] order = inOrder(packed);
    byte[][] sorted = new byte[n][];
    for (int j = 0; j < n; j++) {
      sorted[j] = packed[order[j]];
      if (j > 0 && Arrays.equals(sorted[j - 1], sorted[j])) {
        for (int i = 0; i < n; i++) {
          Rec current = get(slots[i]);
          if (current == null || current.version() < recs[i].version()) {
            put(slots[i], recs[i]);
            taken[i] = true;
            previous[i] = current;
          }
        }
        return new Taken(taken, previous);
      }
    }
    records.update(sorted, (j, current) -> {
      int i = order[j];
      Rec before = current == null ? null : unpackRec(current, withValues);
      if (before != null && before.version() >= recs[i].version()) {
        return PackedMap.KEEP;
      }
      taken[i] = true;
      previous[i] = before;
      return packRec(recs[i]);
    });
    List<byte[]> added = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (taken[i] && previous[i] == null) {
        added.add(slots[i].key());
      }
    }
    added.sort(Arrays::compareUnsigned);
    byKey.update(added.toArray(new byte[0][]), (j, current) -> NO_KEY);
    count += added.size();
    for (int i = 0; i < n; i++) {
      if (taken[i]) {
        indexAside(slots[i], previous[i], recs[i]);
      }
    }
    return new Taken(taken, previous);
  }

  /** Positions 0..n-1 ordered by {@code keys} (unsigned). */
  private static Integer[] inOrder(byte[][] keys) {
    Integer[] order = new Integer[keys.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (x, y) -> Arrays.compareUnsigned(keys[x], keys[y]));
    return order;
  }

  /** Brings the other indexes in line with {@code slot}'s record going from {@code previous} (null: none) to rec. */
  private void index(Slot slot, Rec previous, Rec rec) {
    if (previous == null) {
      byKey.put(slot.key(), NO_KEY);
      count++;
    }
    indexAside(slot, previous, rec);
  }

  /** {@link #index} but for the key index and the count (the caller's). */
  private void indexAside(Slot slot, Rec previous, Rec rec) {
    reindexExpiry(slot, previous, rec);
    boolean wasTombstone = previous != null && !previous.live();
    if (!rec.live() && !wasTombstone) {
      tombstones.add(slot);
    } else if (rec.live() && wasTombstone) {
      tombstones.remove(slot);
    }
  }

  /**
   * Removes records known to be as given from every index, each index leaf once ({@link PackedMap#update}): a purge
   * removes whole ranges, so most leaves go at once instead of being copied once per record.
   */
  private void deleteAll(List<Map.Entry<Slot, Rec>> doomed) {
    byte[][] packed = new byte[doomed.size()][];
    byte[][] keys = new byte[doomed.size()][];
    for (int i = 0; i < packed.length; i++) {
      Slot s = doomed.get(i).getKey();
      packed[i] = packSlot(s.position(), s.key());
      keys[i] = s.key();
    }
    Arrays.sort(packed, Arrays::compareUnsigned);
    Arrays.sort(keys, Arrays::compareUnsigned);
    records.update(packed, (j, current) -> PackedMap.REMOVE);
    byKey.update(keys, (j, current) -> PackedMap.REMOVE);
    for (Map.Entry<Slot, Rec> e : doomed) {
      reindexExpiry(e.getKey(), e.getValue(), null);
      count--;
      if (!e.getValue().live()) {
        tombstones.remove(e.getKey());
      }
    }
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
      Rec r = get(d.slot());
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

  /** Every record in store order (each read as the walk reaches it). */
  Iterable<Map.Entry<Slot, Rec>> all() {
    return () -> {
      Iterator<PackedMap.View> it = records.iterate(null, true, null);
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return it.hasNext();
        }

        @Override
        public Map.Entry<Slot, Rec> next() {
          return unpack(it.next());
        }
      };
    };
  }

  /** The records in {@code r}, in store order, as a walk of the records index from the range's start. */
  private Iterator<PackedMap.View> in(HashRange r) {
    return records.iterate(packSlot(r.start(), NO_KEY), true, slotsBefore(r.end()));
  }

  /**
   * Removes up to {@code limit} records (tombstones included) whose position lies in {@code ranges}, in store order.
   * Each range is a seek into the records index, so records outside {@code ranges} are never visited.
   */
  Removal removeIn(HashRanges ranges, int limit) {
    List<Map.Entry<Slot, Rec>> doomed = new ArrayList<>();
    boolean more = false;
    outer:
    for (HashRange r : ranges.ranges()) {
      Iterator<PackedMap.View> it = in(r);
      while (it.hasNext()) {
        if (doomed.size() == limit) {
          more = true;
          break outer;
        }
        PackedMap.View v = it.next();
        // Removal needs each record's liveness and deadline, not its value.
        doomed.add(Map.entry(unpackSlot(v), unpackRec(v, false)));
      }
    }
    deleteAll(doomed);
    return new Removal(doomed.size(), more);
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
        it.remove();
        records.remove(packSlot(s.position(), s.key()));
        byKey.remove(s.key());
        count--;
        removed++;
      }
    }
    return new Removal(removed, false);
  }

  /**
   * The records as they are now, readable once (by another thread) while the apply thread goes on changing the
   * store. Apply thread only; one frozen view at a time. The records index's leaves are immutable, so the view is
   * just the list of them at the freeze: changes after it make new leaves and leave these alone.
   */
  FrozenRecords freeze() {
    if (frozen != null) {
      throw new IllegalStateException("a frozen view is still being read");
    }
    FrozenRecords f = new FrozenRecords(count, records.leaves(), this::released);
    frozen = f;
    return f;
  }

  private void released(FrozenRecords f) {
    if (frozen == f) {
      frozen = null;
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
      Iterator<PackedMap.View> it = after != null && after.position() >= r.start()
          ? records.iterate(packSlot(after.position(), after.key()), false, slotsBefore(r.end()))
          : in(r);
      while (it.hasNext()) {
        if (out.size() == limit) {
          more = true;
          break outer;
        }
        PackedMap.View v = it.next();
        Slot slot = unpackSlot(v);
        Rec rec = unpackRec(v);
        out.add(new Entry(slot.key(), rec.value(), rec.version(), rec.live() ? rec.expiresAtMs() : Ttl.NONE));
        last = slot;
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
    List<Entry> out = new ArrayList<>(Math.min(limit, 1024));
    if (end != null && Arrays.compareUnsigned(start, end) >= 0) {
      return new KeyScanResult(out, false);
    }
    Iterator<PackedMap.View> it = byKey.iterate(start, true, end);
    long bytes = 0;
    while (it.hasNext()) {
      byte[] key = it.next().key();
      Rec rec = get(key);
      if (rec == null) {
        continue; // removed between the two indexes' reads
      }
      if (rec.live() && !rec.liveAt(nowMs)) {
        // Past its deadline but not collected yet: read as deleted (docs/ttl.md), at the version it had.
        rec = new Rec(null, rec.version());
      }
      long size = values && rec.live() ? rec.value().length : 0;
      if (out.size() == limit || (!out.isEmpty() && bytes + size > maxBytes)) {
        return new KeyScanResult(out, true);
      }
      bytes += size;
      out.add(new Entry(key, rec.live() && !values ? NO_KEY : rec.value(), rec.version(), rec.expiresAtMs()));
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
    Iterator<PackedMap.View> it = byKey.iterate(null, true, null);
    while (it.hasNext()) {
      byte[] key = it.next().key();
      long position = HashRing.position(key);
      if (!ranges.contains(position)) {
        continue;
      }
      Rec rec = get(new Slot(position, key));
      if (rec.liveAt(nowMs)) {
        out.add(new Entry(key, rec.value(), rec.version(), rec.expiresAtMs()));
      }
    }
    return out;
  }
}
