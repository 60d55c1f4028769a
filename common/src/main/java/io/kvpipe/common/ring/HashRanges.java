package io.kvpipe.common.ring;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * An immutable, sorted, non-overlapping set of {@link HashRange}s with adjacent ranges merged; membership is a binary
 * search. This is what a shard group owns at an epoch.
 */
public final class HashRanges {
  public static final HashRanges EMPTY = new HashRanges(List.of());
  public static final HashRanges FULL = new HashRanges(List.of(HashRange.FULL));

  private final List<HashRange> ranges;
  private final long[] starts;

  private HashRanges(List<HashRange> normalized) {
    this.ranges = List.copyOf(normalized);
    this.starts = new long[ranges.size()];
    for (int i = 0; i < starts.length; i++) {
      starts[i] = ranges.get(i).start();
    }
  }

  /** Builds a set from any ranges: sorts, and merges overlapping or adjacent ones. */
  public static HashRanges of(Collection<HashRange> input) {
    List<HashRange> sorted = new ArrayList<>(input);
    sorted.sort(null);
    List<HashRange> merged = new ArrayList<>();
    for (HashRange r : sorted) {
      if (!merged.isEmpty() && merged.getLast().end() >= r.start()) {
        HashRange last = merged.removeLast();
        merged.add(new HashRange(last.start(), Math.max(last.end(), r.end())));
      } else {
        merged.add(r);
      }
    }
    return new HashRanges(merged);
  }

  public boolean contains(long position) {
    int i = java.util.Arrays.binarySearch(starts, position);
    int idx = i >= 0 ? i : -i - 2;
    return idx >= 0 && ranges.get(idx).contains(position);
  }

  public List<HashRange> ranges() {
    return ranges;
  }

  public boolean isEmpty() {
    return ranges.isEmpty();
  }

  /** Total number of ring positions covered. */
  public long width() {
    long w = 0;
    for (HashRange r : ranges) {
      w += r.width();
    }
    return w;
  }

  public HashRanges union(HashRanges other) {
    List<HashRange> all = new ArrayList<>(ranges);
    all.addAll(other.ranges);
    return of(all);
  }

  /** The positions in this set and not in {@code other}. */
  public HashRanges minus(HashRanges other) {
    List<HashRange> out = new ArrayList<>();
    for (HashRange r : ranges) {
      long cursor = r.start();
      for (HashRange o : other.ranges) {
        if (o.end() <= cursor || o.start() >= r.end()) {
          continue;
        }
        if (o.start() > cursor) {
          out.add(new HashRange(cursor, o.start()));
        }
        cursor = Math.max(cursor, o.end());
        if (cursor >= r.end()) {
          break;
        }
      }
      if (cursor < r.end()) {
        out.add(new HashRange(cursor, r.end()));
      }
    }
    return new HashRanges(out);
  }

  public HashRanges intersect(HashRanges other) {
    return minus(minus(other));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HashRanges h && h.ranges.equals(ranges);
  }

  @Override
  public int hashCode() {
    return ranges.hashCode();
  }

  @Override
  public String toString() {
    return ranges.toString();
  }
}
