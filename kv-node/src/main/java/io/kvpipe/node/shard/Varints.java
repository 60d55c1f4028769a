package io.kvpipe.node.shard;

/**
 * Unsigned LEB128 varints in byte arrays, for the store's packed layouts ({@link PackedMap}'s lengths,
 * {@link ShardStore}'s record versions). Values are never negative there; a negative one would take 10 bytes.
 */
final class Varints {
  private Varints() {}

  /** Bytes {@code v} takes. */
  static int size(long v) {
    int n = 1;
    while ((v >>>= 7) != 0) {
      n++;
    }
    return n;
  }

  /** Writes {@code v} at {@code p}; returns the position after it. */
  static int write(byte[] out, int p, long v) {
    while ((v & ~0x7FL) != 0) {
      out[p++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out[p++] = (byte) v;
    return p;
  }

  /** The varint at {@code p}. */
  static long read(byte[] in, int p) {
    long v = 0;
    for (int shift = 0; ; shift += 7) {
      byte b = in[p++];
      v |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return v;
      }
    }
  }
}
