package io.kvpipe.node.shard;

import java.util.Arrays;

/**
 * One immutable leaf of a {@link PackedMap}: its entries' bytes ({@code [key length][key][payload length][payload]},
 * lengths as varints), where each entry starts, and the copies a change makes of it: a leaf is never modified. Entry
 * i starts at {@link #off off(i)} and ends where entry i+1 starts (or at the end). The offsets take 2 bytes each in a leaf of up to 64 KiB (every leaf unless values are large: 64 entries of 1 KiB), 4
 * otherwise: 2 bytes less per record in each index (issue 15).
 */
final class PackedLeaf {
  /** Largest leaf whose entry offsets are kept in 2 bytes each. */
  static final int SHORT_OFFSETS_MAX_BYTES = 0xFFFF;

  final byte[] data;
  /** The entry offsets when {@code data} fits {@link #SHORT_OFFSETS_MAX_BYTES}, else null. */
  private final char[] shortOffs;
  /** The entry offsets of a larger leaf, else null. */
  private final int[] longOffs;

  PackedLeaf(byte[] data, int[] offs) {
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
    int lo = 0;
    int hi = size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = compareKey(mid, key);
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
    int start = p + Varints.size(len);
    return Arrays.compareUnsigned(data, start, start + len, key, 0, key.length);
  }

  PackedMap.View view(int i) {
    int p = off(i);
    int klen = (int) Varints.read(data, p);
    int kOff = p + Varints.size(klen);
    int q = kOff + klen;
    int plen = (int) Varints.read(data, q);
    return new PackedMap.View(data, kOff, klen, q + Varints.size(plen), plen);
  }

  /** {@code leaf} with entries [from, to) replaced by {@code entry} (null: by nothing). */
  static PackedLeaf splice(PackedLeaf leaf, int from, int to, byte[] entry) {
    int cutStart = from < leaf.size() ? leaf.off(from) : leaf.data.length;
    int cutEnd = to < leaf.size() ? leaf.off(to) : leaf.data.length;
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
    return new PackedLeaf(data, offs);
  }

  /** Entries [from, to) of {@code leaf} as a leaf of their own. */
  static PackedLeaf slice(PackedLeaf leaf, int from, int to) {
    int start = leaf.off(from);
    int end = to < leaf.size() ? leaf.off(to) : leaf.data.length;
    int[] offs = new int[to - from];
    for (int j = from; j < to; j++) {
      offs[j - from] = leaf.off(j) - start;
    }
    return new PackedLeaf(Arrays.copyOfRange(leaf.data, start, end), offs);
  }

  static PackedLeaf concat(PackedLeaf a, PackedLeaf b) {
    byte[] data = Arrays.copyOf(a.data, a.data.length + b.data.length);
    System.arraycopy(b.data, 0, data, a.data.length, b.data.length);
    int[] offs = new int[a.size() + b.size()];
    for (int j = 0; j < a.size(); j++) {
      offs[j] = a.off(j);
    }
    for (int j = 0; j < b.size(); j++) {
      offs[a.size() + j] = b.off(j) + a.data.length;
    }
    return new PackedLeaf(data, offs);
  }
}
