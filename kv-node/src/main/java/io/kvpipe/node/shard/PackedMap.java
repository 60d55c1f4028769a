package io.kvpipe.node.shard;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A sorted map of byte-string keys (unsigned order) to byte-string payloads, packed for memory (issue 15): entries
 * live in leaves of up to {@link #MAX_LEAF} entries, each leaf one byte array ({@code [key length][key][payload
 * length][payload]}, lengths as varints) plus one array of entry offsets, and the leaves are indexed by a skip
 * list on each leaf's fixed lower bound. A record then costs its bytes plus about 6 bytes, instead of a skip-list node,
 * index nodes, and three or four objects with their headers (a 16 B key and 100 B value took ~280 B of heap that way).
 *
 * <p>Leaves are immutable: the one writer (the Raft apply thread) replaces a leaf with a changed copy, so readers on
 * other threads never lock and always see a consistent leaf, and {@link #leaves()} is a consistent snapshot of the map
 * (the frozen view a snapshot file is written from). A split publishes the new right leaf before the shortened left
 * one and a merge publishes the merged leaf before unlinking the right one, so a reader can meet an entry twice but
 * never miss one that was not changing; iterators skip an entry not after the one they gave last.
 */
final class PackedMap {
  /** Entries per leaf before a split: a write copies one leaf (~64 * 140 B for 100 B values), a lookup scans <= 6. */
  static final int MAX_LEAF = 64;
  /** A leaf this small after a removal merges with the next one (if they fit in one), so purges do not leave dust. */
  private static final int MIN_LEAF = MAX_LEAF / 4;
  private static final byte[] LOWEST = new byte[0];

  /**
   * One entry as read, pointing into its (immutable) leaf's bytes: its key is the leaf's {@code prefix} followed by
   * {@code restLen} bytes at {@code restOff} of {@code data}.
   */
  record View(byte[] prefix, byte[] data, int restOff, int restLen, int payloadOff, int payloadLen) {
    byte[] key() {
      byte[] key = Arrays.copyOf(prefix, prefix.length + restLen);
      System.arraycopy(data, restOff, key, prefix.length, restLen);
      return key;
    }

    byte[] payload() {
      return Arrays.copyOfRange(data, payloadOff, payloadOff + payloadLen);
    }

    int compareKey(byte[] other) {
      return compare(prefix, data, restOff, restLen, other);
    }

    /** The key {@code prefix} + {@code data[restOff, restOff + restLen)} against {@code other}, unsigned. */
    static int compare(byte[] prefix, byte[] data, int restOff, int restLen, byte[] other) {
      int n = prefix.length;
      int m = Math.min(n, other.length);
      int c = Arrays.compareUnsigned(prefix, 0, m, other, 0, m);
      if (c != 0) {
        return c;
      }
      if (other.length < n) {
        return 1; // other is a proper prefix of this key
      }
      return Arrays.compareUnsigned(data, restOff, restOff + restLen, other, n, other.length);
    }
  }

  /** Leaves by their lower bound; the first leaf's is the empty key and stays, even empty. */
  private final ConcurrentSkipListMap<byte[], PackedLeaf> leaves = new ConcurrentSkipListMap<>(Arrays::compareUnsigned);

  PackedMap() {
    leaves.put(LOWEST, new PackedLeaf());
  }

  /** The entry of {@code key}, or null. Any thread. */
  View get(byte[] key) {
    PackedLeaf leaf = leaves.floorEntry(key).getValue();
    int i = leaf.find(key);
    return i < 0 ? null : leaf.view(i);
  }

  /**
   * Sets {@code key}'s payload; returns the entry it replaced (still readable: leaves never change), or null if the
   * key was new. Writer thread only.
   */
  View put(byte[] key, byte[] payload) {
    var e = leaves.floorEntry(key);
    PackedLeaf leaf = e.getValue();
    int i = leaf.find(key);
    if (i >= 0) {
      leaves.put(e.getKey(), PackedLeaf.splice(leaf, i, i + 1, key, payload));
      return leaf.view(i);
    }
    PackedLeaf grown = PackedLeaf.splice(leaf, -i - 1, -i - 1, key, payload);
    if (grown.size() <= MAX_LEAF) {
      leaves.put(e.getKey(), grown);
    } else {
      // A key after the map's last one (keys written in ascending order: counters, timestamps, bulk loads) starts a
      // leaf of its own and the full leaf stays full: split in the middle, every leaf of an ascending load stayed half
      // full (at 1M ascending keys the key index had 31,249 leaves of 32, ~2 MB more leaf overhead than full ones).
      boolean append = -i - 1 == leaf.size() && leaves.higherKey(e.getKey()) == null;
      int cut = append ? grown.size() - 1 : grown.size() / 2;
      PackedLeaf right = PackedLeaf.slice(grown, cut, grown.size());
      leaves.put(right.view(0).key(), right);
      if (!append) { // appended: the leaf as it was is the left part
        leaves.put(e.getKey(), PackedLeaf.slice(grown, 0, cut));
      }
    }
    return null;
  }

  /** Removes {@code key}; true if it was there. Writer thread only. */
  boolean remove(byte[] key) {
    var e = leaves.floorEntry(key);
    PackedLeaf leaf = e.getValue();
    int i = leaf.find(key);
    if (i < 0) {
      return false;
    }
    PackedLeaf shrunk = PackedLeaf.splice(leaf, i, i + 1, null, null);
    var next = leaves.higherEntry(e.getKey());
    if (next != null && shrunk.size() < MIN_LEAF && shrunk.size() + next.getValue().size() <= MAX_LEAF) {
      leaves.put(e.getKey(), PackedLeaf.concat(shrunk, next.getValue()));
      leaves.remove(next.getKey());
    } else if (shrunk.size() == 0 && e.getKey() != LOWEST) {
      leaves.remove(e.getKey());
    } else {
      leaves.put(e.getKey(), shrunk);
    }
    return true;
  }

  /**
   * What {@link #update} does with one key of a batch, given the entry the map has for it now (null: none; the view
   * stays readable, leaves never change): the payload to store, {@link #KEEP} or {@link #REMOVE}.
   */
  interface Change {
    byte[] apply(int index, View current);
  }

  /** {@link Change}'s answer for "leave this key as it is" (absent stays absent); compared by identity. */
  static final byte[] KEEP = new byte[0];
  /** {@link Change}'s answer for "remove this key"; compared by identity. */
  static final byte[] REMOVE = new byte[0];

  /**
   * Applies {@code change} to each of {@code keys}, which must be strictly ascending, rebuilding each leaf the batch
   * touches once: keys that land in one leaf cost one copy of it, where a {@link #put} or {@link #remove} per key
   * copies the leaf per key. A migration's copy (keys in store order) and its purge (whole ranges) are that case:
   * measured in bench-migration, per-key leaf copies made them 18-90 µs per record on the apply thread. Readers see
   * what {@link #put} and {@link #remove} guarantee: a key the batch does not change is never missed. Writer thread
   * only.
   */
  void update(byte[][] keys, Change change) {
    for (int i = 1; i < keys.length; i++) {
      if (Arrays.compareUnsigned(keys[i - 1], keys[i]) >= 0) {
        throw new IllegalArgumentException("update keys must be strictly ascending");
      }
    }
    PackedLeaf.Entries b = new PackedLeaf.Entries(1024, MAX_LEAF * 2);
    int i = 0;
    while (i < keys.length) {
      var e = leaves.floorEntry(keys[i]);
      byte[] low = e.getKey();
      PackedLeaf leaf = e.getValue();
      byte[] high = leaves.higherKey(low);
      b.reset(leaf.data.length + leaf.size() * leaf.prefix.length);
      int at = 0;
      for (; i < keys.length && (high == null || Arrays.compareUnsigned(keys[i], high) < 0); i++) {
        byte[] key = keys[i];
        int c = -1;
        while (at < leaf.size() && (c = leaf.compareKey(at, key)) < 0) {
          b.copy(leaf, at, at + 1);
          at++;
        }
        View current = at < leaf.size() && c == 0 ? leaf.view(at) : null;
        byte[] payload = change.apply(i, current);
        if (current != null) {
          at++;
          if (payload == KEEP) {
            b.copy(leaf, at - 1, at);
          } else if (payload != REMOVE) {
            b.add(key, payload);
          }
        } else if (payload != KEEP && payload != REMOVE) {
          b.add(key, payload);
        }
      }
      b.copy(leaf, at, leaf.size());
      publish(low, high, b, i < keys.length);
    }
  }

  /**
   * Replaces the leaf at {@code low} by {@code b}'s entries: split into leaves of about 3/4 of {@link #MAX_LEAF} when
   * too many (the new right leaves published first, as a split does), dropped when empty, merged with the next leaf
   * when small and the batch does not touch that one (as {@link #remove} does).
   */
  private void publish(byte[] low, byte[] high, PackedLeaf.Entries b, boolean batchGoesOn) {
    int n = b.size();
    if (n == 0 && low != LOWEST) {
      leaves.remove(low);
      return;
    }
    if (n <= MAX_LEAF) {
      PackedLeaf built = b.leaf(0, n);
      PackedLeaf next = n >= MIN_LEAF || high == null || batchGoesOn ? null : leaves.get(high);
      if (next != null && n + next.size() <= MAX_LEAF) {
        leaves.put(low, PackedLeaf.concat(built, next));
        leaves.remove(high);
      } else {
        leaves.put(low, built);
      }
      return;
    }
    int parts = (n + SPLIT_LEAF - 1) / SPLIT_LEAF;
    for (int k = parts - 1; k >= 1; k--) {
      PackedLeaf part = b.leaf(k * n / parts, (k + 1) * n / parts);
      leaves.put(part.view(0).key(), part);
    }
    leaves.put(low, b.leaf(0, n / parts));
  }

  /** Entries per leaf a batch's split aims at: room for later single inserts before the next split. */
  private static final int SPLIT_LEAF = MAX_LEAF * 3 / 4;

  /** The leaves as they are now, in order: a consistent snapshot if taken on the writer thread. */
  List<PackedLeaf> leaves() {
    return new ArrayList<>(leaves.values());
  }

  /** Every entry of {@code snapshot} (from {@link #leaves()}) in order. */
  static Iterator<View> iterate(List<PackedLeaf> snapshot) {
    List<View> none = List.of();
    return snapshot.stream().flatMap(l -> {
      List<View> views = new ArrayList<>(l.size());
      for (int i = 0; i < l.size(); i++) {
        views.add(l.view(i));
      }
      return views.isEmpty() ? none.stream() : views.stream();
    }).iterator();
  }

  /**
   * The entries with keys from {@code from} ({@code inclusive} or not; null: the first) up to {@code to} (exclusive;
   * null: the last), in order, as the map changes under the walk: each entry given is one the map held during the
   * walk, and an entry the map held throughout is given exactly once.
   */
  Iterator<View> iterate(byte[] from, boolean inclusive, byte[] to) {
    return new Walk(from, inclusive, to);
  }

  /**
   * A walk over the live leaves. When a leaf is used up, the walk looks up the leaf now holding the last key it saw:
   * if that leaf was replaced (a write, or a merge that moved the next leaf's entries into it) the walk goes on in the
   * new copy after that key; otherwise it steps to the next leaf. Entries not after the last one given are skipped
   * (met again after a split).
   */
  private final class Walk implements Iterator<View> {
    private final byte[] to;
    private byte[] lowKey;
    private PackedLeaf leaf;
    private int i;
    /** The last key given, or the start bound before any. */
    private byte[] lastKey;
    private boolean lastInclusive;
    private View next;
    private boolean done;

    Walk(byte[] from, boolean inclusive, byte[] to) {
      this.to = to;
      this.lastKey = from == null ? LOWEST : from;
      this.lastInclusive = from == null || inclusive;
      var e = leaves.floorEntry(lastKey);
      enter(e.getKey(), e.getValue());
    }

    private void enter(byte[] low, PackedLeaf l) {
      lowKey = low;
      leaf = l;
      int at = l.find(lastKey);
      i = at >= 0 ? (lastInclusive ? at : at + 1) : -at - 1;
    }

    @Override
    public boolean hasNext() {
      while (next == null && !done) {
        if (i == leaf.size()) {
          var holder = leaves.floorEntry(lastKey);
          if (holder.getValue() != leaf && !Arrays.equals(holder.getKey(), lowKey)
              || holder.getValue() != leaf && holder.getValue().size() > 0
              && holder.getValue().compareKey(holder.getValue().size() - 1, lastKey) > 0) {
            enter(holder.getKey(), holder.getValue());
            continue;
          }
          var after = leaves.higherEntry(lowKey);
          // A merge publishes the merged leaf at this low before it unlinks the next one: if the next leaf is already
          // gone from what we saw, its entries are here now, so the leaf at this low must be read again first.
          PackedLeaf now = leaves.get(lowKey);
          if (now != leaf) {
            var at = now != null ? Map.entry(lowKey, now) : leaves.floorEntry(lastKey);
            enter(at.getKey(), at.getValue());
            continue;
          }
          if (after == null) {
            done = true;
            break;
          }
          lowKey = after.getKey();
          leaf = after.getValue();
          i = 0;
          continue;
        }
        View v = leaf.view(i++);
        if (!lastInclusive || lastKey != LOWEST) {
          int c = v.compareKey(lastKey);
          if (c < 0 || c == 0 && !lastInclusive) {
            continue; // met again after a split
          }
        }
        if (to != null && v.compareKey(to) >= 0) {
          done = true;
          break;
        }
        next = v;
      }
      return next != null;
    }

    @Override
    public View next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      View v = next;
      next = null;
      lastKey = v.key();
      lastInclusive = false;
      return v;
    }
  }
}
