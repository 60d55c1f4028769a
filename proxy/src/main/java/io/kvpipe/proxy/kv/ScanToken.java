package io.kvpipe.proxy.kv;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Query;
import java.util.Arrays;
import java.util.Base64;

/**
 * The continuation token of a scan: opaque to clients, it holds the key the next page starts at (inclusive; it may be
 * a key that does not exist, e.g. the successor of the last one examined), after a format byte, base64url without
 * padding. It carries no server state, so any proxy continues any scan, and a token works for as long as the caller
 * likes; it must be used with the same prefix or range it came from (a token outside those bounds is refused).
 */
final class ScanToken {
  private static final int FORMAT = 1;
  private static final Base64.Encoder ENC = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DEC = Base64.getUrlDecoder();

  private ScanToken() {}

  static String encode(byte[] resumeFrom) {
    byte[] raw = new byte[resumeFrom.length + 1];
    raw[0] = FORMAT;
    System.arraycopy(resumeFrom, 0, raw, 1, resumeFrom.length);
    return ENC.encodeToString(raw);
  }

  /** The key to resume from; {@code start} and {@code end} (null: unbounded) are the scan's bounds. */
  static byte[] decode(String token, byte[] start, byte[] end) {
    byte[] raw;
    try {
      raw = DEC.decode(token);
    } catch (IllegalArgumentException e) {
      throw bad("is not base64url");
    }
    if (raw.length < 1 || raw[0] != FORMAT) {
      throw bad("has an unknown format");
    }
    if (raw.length - 1 > Query.KeyScan.MAX_BOUND_BYTES) {
      throw bad("is too long");
    }
    byte[] from = Arrays.copyOfRange(raw, 1, raw.length);
    if (Arrays.compareUnsigned(from, start) < 0 || (end != null && Arrays.compareUnsigned(from, end) >= 0)) {
      throw bad("does not belong to this scan's prefix or range (repeat the request's parameters with it)");
    }
    return from;
  }

  private static KvException bad(String why) {
    return new KvException(ErrorCode.MALFORMED_REQUEST, "continuation token " + why);
  }
}
