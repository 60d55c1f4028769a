package io.kvpipe.common.ring;

/**
 * A half-open interval [start, end) of ring positions, with 0 <= start < end <= 2^32. Ranges never wrap: a wrapping
 * arc of the ring is represented as two ranges.
 */
public record HashRange(long start, long end) implements Comparable<HashRange> {
  /** One past the largest ring position. */
  public static final long RING_SIZE = 1L << 32;
  public static final HashRange FULL = new HashRange(0, RING_SIZE);

  public HashRange {
    if (start < 0 || end > RING_SIZE || start >= end) {
      throw new IllegalArgumentException("invalid hash range [" + start + ", " + end + ")");
    }
  }

  public boolean contains(long position) {
    return position >= start && position < end;
  }

  public long width() {
    return end - start;
  }

  @Override
  public int compareTo(HashRange o) {
    return start != o.start ? Long.compare(start, o.start) : Long.compare(end, o.end);
  }

  @Override
  public String toString() {
    return "[" + start + "," + end + ")";
  }
}
