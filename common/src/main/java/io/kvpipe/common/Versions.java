package io.kvpipe.common;

/**
 * A write's version packs (topology epoch, Raft log index) into 64 bits: epoch in the high 24 bits, log index in the
 * low 40. Within a group the epoch never decreases and the index always increases, and a key that migrates moves to a
 * group at a strictly higher epoch, so versions of a key strictly increase across groups, leader changes and
 * migrations, and every replica and the archive derive the same number from replicated state alone.
 */
public final class Versions {
  public static final int INDEX_BITS = 40;
  public static final long MAX_INDEX = (1L << INDEX_BITS) - 1;
  public static final long MAX_EPOCH = (1L << (63 - INDEX_BITS)) - 1;
  /** The version that means "no record": a conditional write expecting it requires the key to be absent. */
  public static final long NONE = 0;

  private Versions() {}

  public static long of(long epoch, long logIndex) {
    if (epoch < 1 || epoch > MAX_EPOCH) {
      throw new IllegalArgumentException("epoch out of range: " + epoch);
    }
    if (logIndex < 0 || logIndex > MAX_INDEX) {
      throw new IllegalArgumentException("log index out of range: " + logIndex);
    }
    return (epoch << INDEX_BITS) | logIndex;
  }

  public static long epoch(long version) {
    return version >>> INDEX_BITS;
  }

  public static long logIndex(long version) {
    return version & MAX_INDEX;
  }
}
