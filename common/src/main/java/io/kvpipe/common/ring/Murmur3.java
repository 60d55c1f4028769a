package io.kvpipe.common.ring;

/**
 * MurmurHash3 x86_32 (Austin Appleby's public-domain algorithm) over raw bytes, seed 0. Every service places keys on
 * the ring with this one function, so its output is part of the on-disk and wire contract: never change it.
 */
public final class Murmur3 {
  private static final int C1 = 0xcc9e2d51;
  private static final int C2 = 0x1b873593;

  private Murmur3() {}

  /** The 32-bit hash as an unsigned value in [0, 2^32). */
  public static long hash32(byte[] data) {
    return Integer.toUnsignedLong(hash32(data, 0, data.length, 0));
  }

  /** The 32-bit hash of {@code length} bytes of {@code data} from {@code offset}, as an unsigned value. */
  public static long hash32(byte[] data, int offset, int length) {
    return Integer.toUnsignedLong(hash32(data, offset, length, 0));
  }

  static int hash32(byte[] data, int offset, int length, int seed) {
    int h = seed;
    int blocks = length >>> 2;
    for (int i = 0; i < blocks; i++) {
      int p = offset + (i << 2);
      int k = (data[p] & 0xff) | (data[p + 1] & 0xff) << 8 | (data[p + 2] & 0xff) << 16 | (data[p + 3] & 0xff) << 24;
      k *= C1;
      k = Integer.rotateLeft(k, 15);
      k *= C2;
      h ^= k;
      h = Integer.rotateLeft(h, 13);
      h = h * 5 + 0xe6546b64;
    }
    int tail = offset + (blocks << 2);
    int k = 0;
    switch (length & 3) {
      case 3:
        k ^= (data[tail + 2] & 0xff) << 16;
        // fall through
      case 2:
        k ^= (data[tail + 1] & 0xff) << 8;
        // fall through
      case 1:
        k ^= data[tail] & 0xff;
        k *= C1;
        k = Integer.rotateLeft(k, 15);
        k *= C2;
        h ^= k;
        break;
      default:
        break;
    }
    h ^= length;
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }
}
