package io.kvpipe.proxy.watch;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Base64;

/**
 * A position in the change topic: for every partition, the offset of the first record not yet considered. Handed to
 * a watcher as an opaque token (the SSE {@code id}) that it gives back to resume exactly there, on any proxy of the
 * cluster: version byte 1, the partition count and the offsets as unsigned varints, base64url without padding.
 * Immutable.
 */
public final class WatchPosition {
  static final int MAX_TOKEN_CHARS = 2048;
  private static final int VERSION = 1;
  private static final int MAX_PARTITIONS = 1024;
  private final long[] offsets;

  private WatchPosition(long[] offsets) {
    this.offsets = offsets;
  }

  public static WatchPosition of(long... offsets) {
    for (long o : offsets) {
      if (o < 0) {
        throw new IllegalArgumentException("negative offset " + o);
      }
    }
    return new WatchPosition(offsets.clone());
  }

  public int partitions() {
    return offsets.length;
  }

  public long offset(int partition) {
    return offsets[partition];
  }

  long[] toArray() {
    return offsets.clone();
  }

  /** True if this position is at or past {@code other} on every partition. */
  boolean covers(long[] other) {
    for (int p = 0; p < offsets.length; p++) {
      if (offsets[p] < other[p]) {
        return false;
      }
    }
    return true;
  }

  public String token() {
    return encode(offsets);
  }

  static String encode(long[] offsets) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(2 + offsets.length * 4);
    out.write(VERSION);
    writeVarint(out, offsets.length);
    for (long o : offsets) {
      writeVarint(out, o);
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(out.toByteArray());
  }

  /** Parses a token; anything that is not one this proxy could have written is a 400 MALFORMED_REQUEST. */
  public static WatchPosition parse(String token) {
    if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
      throw malformed("empty or too long");
    }
    byte[] b;
    try {
      b = Base64.getUrlDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      throw malformed("not base64url");
    }
    int[] at = {0};
    if (b.length == 0 || b[at[0]++] != VERSION) {
      throw malformed("unknown format");
    }
    long n = readVarint(b, at);
    if (n < 1 || n > MAX_PARTITIONS) {
      throw malformed("bad partition count");
    }
    long[] offsets = new long[(int) n];
    for (int p = 0; p < n; p++) {
      offsets[p] = readVarint(b, at);
    }
    if (at[0] != b.length) {
      throw malformed("trailing bytes");
    }
    if (!encode(offsets).equals(token)) {
      throw malformed("not in canonical form"); // one position, one token: no aliases to confuse a client's dedupe
    }
    return new WatchPosition(offsets);
  }

  private static KvException malformed(String why) {
    return new KvException(ErrorCode.MALFORMED_REQUEST, "invalid watch position (" + why + "): give back an id "
        + "exactly as a watch stream sent it");
  }

  private static void writeVarint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) (v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static long readVarint(byte[] b, int[] at) {
    long v = 0;
    for (int shift = 0; shift < 63; shift += 7) {
      if (at[0] >= b.length) {
        throw malformed("truncated");
      }
      int x = b[at[0]++] & 0xFF;
      v |= (long) (x & 0x7F) << shift;
      if ((x & 0x80) == 0) {
        return v;
      }
    }
    throw malformed("offset out of range");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WatchPosition w && Arrays.equals(offsets, w.offsets);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(offsets);
  }

  @Override
  public String toString() {
    return "WatchPosition" + Arrays.toString(offsets);
  }
}
