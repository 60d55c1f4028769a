package io.kvpipe.node.shard;

import java.util.Arrays;

/**
 * One immutable leaf of a {@link PackedMap}: its entries' bytes ({@code [key length][key][payload length][payload]},
 * lengths as varints), where each entry starts, and the copies a change makes of it: a leaf is never modified. Entry
 * i starts at {@link #off off(i)} and ends where entry i+1 starts (or at the end). The offsets take 2 bytes each in a
 * leaf of up to 64 KiB (every leaf unless values are large: 64 entries of 1 KiB), 4 otherwise: 2 bytes less per record
 * in each index (issue 15).
 *
 * <p>Every key in a leaf starts with the leaf's {@link #prefix}, kept once: an entry holds only the rest of its key. A
 * leaf's keys are neighbours in key order, so they share their start as far as its first and last keys do: in the key
 * index, keys with a common shape ({@code user:000123...}) share most of their bytes with their leaf's other ~60; in
 * the records index, the first byte or two of the ring position (issue 15). The prefix only has to be one every key
 * starts with, not the longest: a write that keeps it (the key starts with it, or a removal) copies the bytes as they
 * are; one that does not, and splits and merges, store the leaf again with its keys' common prefix.
 */
final class PackedLeaf {
  /** Largest leaf whose entry offsets are kept in 2 bytes each. */
  static final int SHORT_OFFSETS_MAX_BYTES = 0xFFFF;
  private static final byte[] NONE = new byte[0];

  /** What every key of this leaf starts with; each entry's key bytes are the rest. */
  final byte[] prefix;
  final byte[] data;
  /** The entry offsets when {@code data} fits {@link #SHORT_OFFSETS_MAX_BYTES}, else null. */
  private final char[] shortOffs;
  /** The entry offsets of a larger leaf, else null. */
  private final int[] longOffs;

  /** An empty leaf. */
  PackedLeaf() {
    this(NONE, NONE, new int[0]);
  }

  private PackedLeaf(byte[] prefix, byte[] data, int[] offs) {
    this.prefix = prefix;
    this.data = data;
    if (data.length <= SHORT_OFFSETS_MAX_BYTES) {
      char[] o = new char[offs.length];
      for (int i = 0; i < o.length; i++) {
        o[i] = (char) offs[i];
      }
      this.shortOffs = o;
      this.longOffs = null;
    } else {
      this.shortOffs = null;
      this.longOffs = offs;
    }
  }

  int size() {
    return shortOffs != null ? shortOffs.length : longOffs.length;
  }

  /** Where entry {@code i} starts in {@link #data}. */
  int off(int i) {
    return shortOffs != null ? shortOffs[i] : longOffs[i];
  }

  /** Whether the offsets take 2 bytes each (for tests). */
  boolean shortOffsets() {
    return shortOffs != null;
  }

  int end(int i) {
    return i + 1 < size() ? off(i + 1) : data.length;
  }

  /** Index of {@code key}, or {@code -(insertion point) - 1}. */
  int find(byte[] key) {
    int n = prefix.length;
    int c = Arrays.compareUnsigned(prefix, 0, Math.min(n, key.length), key, 0, Math.min(n, key.length));
    if (c != 0 || key.length < n) {
      // Not under the prefix: before every key (a key shorter than the prefix is a prefix of each) or after them all.
      return c >= 0 ? -1 : -(size() + 1);
    }
    int lo = 0;
    int hi = size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int p = off(mid);
      int len = (int) Varints.read(data, p);
      int start = p + Varints.size(len);
      c = Arrays.compareUnsigned(data, start, start + len, key, n, key.length);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -(lo + 1);
  }

  int compareKey(int i, byte[] key) {
    int p = off(i);
    int len = (int) Varints.read(data, p);
    return PackedMap.View.compare(prefix, data, p + Varints.size(len), len, key);
  }

  PackedMap.View view(int i) {
    int p = off(i);
    int klen = (int) Varints.read(data, p);
    int kOff = p + Varints.size(klen);
    int q = kOff + klen;
    int plen = (int) Varints.read(data, q);
    return new PackedMap.View(prefix, data, kOff, klen, q + Varints.size(plen), plen);
  }

  /**
   * {@code leaf} with entries [from, to) replaced by {@code key}'s entry with {@code payload} (key null: by nothing).
   * A key that starts with the leaf's prefix goes in as three copies of bytes; one that does not, or the one key left
   * in the leaf, stores the leaf again (with the prefix its keys share).
   */
  static PackedLeaf splice(PackedLeaf leaf, int from, int to, byte[] key, byte[] payload) {
    // An empty leaf takes its first key's prefix (the whole key) from here on; a key not under the prefix shortens it.
    if (key != null && (leaf.size() == to - from || !startsWith(key, leaf.prefix))) {
      Entries e = new Entries(leaf.data.length + key.length + payload.length + 10, leaf.size() + 1);
      e.copy(leaf, 0, from);
      e.add(key, payload);
      e.copy(leaf, to, leaf.size());
      return e.leaf(0, e.size());
    }
    int cutStart = from < leaf.size() ? leaf.off(from) : leaf.data.length;
    int cutEnd = to < leaf.size() ? leaf.off(to) : leaf.data.length;
    byte[] entry = key == null ? null : encode(key, leaf.prefix.length, payload);
    int added = entry == null ? 0 : entry.length;
    byte[] data = new byte[leaf.data.length - (cutEnd - cutStart) + added];
    System.arraycopy(leaf.data, 0, data, 0, cutStart);
    if (entry != null) {
      System.arraycopy(entry, 0, data, cutStart, added);
    }
    System.arraycopy(leaf.data, cutEnd, data, cutStart + added, leaf.data.length - cutEnd);
    int n = leaf.size() - (to - from) + (entry == null ? 0 : 1);
    int[] offs = new int[n];
    for (int j = 0; j < from; j++) {
      offs[j] = leaf.off(j);
    }
    int k = from;
    if (entry != null) {
      offs[k++] = cutStart;
    }
    int shift = added - (cutEnd - cutStart);
    for (int j = to; j < leaf.size(); j++) {
      offs[k++] = leaf.off(j) + shift;
    }
    return new PackedLeaf(leaf.prefix, data, offs);
  }

  /** Entries [from, to) of {@code leaf} as a leaf of their own, with the prefix their keys share. */
  static PackedLeaf slice(PackedLeaf leaf, int from, int to) {
    Entries e = new Entries(leaf.data.length + (to - from) * leaf.prefix.length, to - from);
    e.copy(leaf, from, to);
    return e.leaf(0, e.size());
  }

  static PackedLeaf concat(PackedLeaf a, PackedLeaf b) {
    Entries e = new Entries(a.data.length + b.data.length + (a.size() + b.size()) * a.prefix.length, a.size() + b.size());
    e.copy(a, 0, a.size());
    e.copy(b, 0, b.size());
    return e.leaf(0, e.size());
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  /** {@code [key length - skip][key from skip][payload length][payload]}. */
  private static byte[] encode(byte[] key, int skip, byte[] payload) {
    byte[] out = new byte[encodedSize(key, skip, payload)];
    write(out, 0, key, skip, payload);
    return out;
  }

  private static int encodedSize(byte[] key, int skip, byte[] payload) {
    int klen = key.length - skip;
    return Varints.size(klen) + klen + Varints.size(payload.length) + payload.length;
  }

  /** Writes {@link #encode}'s bytes into {@code out} at {@code at}. */
  private static void write(byte[] out, int at, byte[] key, int skip, byte[] payload) {
    int klen = key.length - skip;
    int p = Varints.write(out, at, klen);
    System.arraycopy(key, skip, out, p, klen);
    p = Varints.write(out, p + klen, payload.length);
    System.arraycopy(payload, 0, out, p, payload.length);
  }

  /**
   * Entries being assembled in order with their whole keys, then stored as leaves ({@link #leaf}), each with the
   * prefix its keys share. Reusable ({@link #reset}).
   */
  static final class Entries {
    private byte[] data;
    private int[] offs;
    private int size;
    private int length;

    Entries(int expectedBytes, int expectedEntries) {
      data = new byte[Math.max(16, expectedBytes)];
      offs = new int[Math.max(4, expectedEntries)];
    }

    void reset(int expectedBytes) {
      size = 0;
      length = 0;
      if (data.length < expectedBytes) {
        data = new byte[expectedBytes + (expectedBytes >> 1)];
      }
    }

    int size() {
      return size;
    }

    /** Entries [from, to) of {@code leaf}, their keys whole again. */
    void copy(PackedLeaf leaf, int from, int to) {
      for (int i = from; i < to; i++) {
        int p = leaf.off(i);
        int klen = (int) Varints.read(leaf.data, p);
        int kOff = p + Varints.size(klen);
        int rest = leaf.end(i) - (kOff + klen); // payload length and payload, copied as they are
        int whole = leaf.prefix.length + klen;
        room(Varints.size(whole) + whole + rest);
        int q = Varints.write(data, length, whole);
        System.arraycopy(leaf.prefix, 0, data, q, leaf.prefix.length);
        System.arraycopy(leaf.data, kOff, data, q + leaf.prefix.length, klen);
        q += whole;
        System.arraycopy(leaf.data, kOff + klen, data, q, rest);
        length = q + rest;
      }
    }

    void add(byte[] key, byte[] payload) {
      int len = encodedSize(key, 0, payload);
      room(len);
      write(data, length, key, 0, payload);
      length += len;
    }

    /** Starts an entry of {@code len} bytes at {@link #length}. */
    private void room(int len) {
      if (size == offs.length) {
        offs = Arrays.copyOf(offs, size * 2);
      }
      offs[size++] = length;
      if (length + len > data.length) {
        data = Arrays.copyOf(data, Math.max(data.length * 2, length + len));
      }
    }

    /** Entries [from, to) as an immutable leaf, its prefix what their first and last keys share. */
    PackedLeaf leaf(int from, int to) {
      if (from == to) {
        return new PackedLeaf();
      }
      int firstLen = (int) Varints.read(data, offs[from]);
      int first = offs[from] + Varints.size(firstLen);
      int lastLen = (int) Varints.read(data, offs[to - 1]);
      int last = offs[to - 1] + Varints.size(lastLen);
      int shared = Arrays.mismatch(data, first, first + firstLen, data, last, last + lastLen);
      int cut = shared < 0 ? firstLen : shared;
      byte[] prefix = cut == 0 ? NONE : Arrays.copyOfRange(data, first, first + cut);
      int end = to < size ? offs[to] : length;
      byte[] out = new byte[end - offs[from] - (to - from) * cut];
      int[] o = new int[to - from];
      int w = 0;
      for (int j = from; j < to; j++) {
        int p = offs[j];
        int klen = (int) Varints.read(data, p);
        int kOff = p + Varints.size(klen);
        int entryEnd = j + 1 < size ? offs[j + 1] : length;
        o[j - from] = w;
        w = Varints.write(out, w, klen - cut);
        int tail = entryEnd - (kOff + cut);
        System.arraycopy(data, kOff + cut, out, w, tail);
        w += tail;
      }
      return new PackedLeaf(prefix, w == out.length ? out : Arrays.copyOf(out, w), o);
    }
  }
}
