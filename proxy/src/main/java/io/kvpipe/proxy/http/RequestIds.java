package io.kvpipe.proxy.http;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Every request carries an id, answered in the {@code X-Request-Id} response header and written to the access log, so a
 * caller's report and the proxy's log can be matched. A caller's own id (from a load balancer or a tracing client) is
 * kept when it is short and plain; anything else is replaced rather than echoed, since it would land in logs as is.
 */
public final class RequestIds {
  public static final String HEADER = "X-Request-Id";
  static final int MAX_LENGTH = 64;

  private RequestIds() {}

  /** {@code given} if it is 1..64 characters of letters, digits and {@code . _ : -}; otherwise a new random id. */
  public static String of(String given) {
    return isPlain(given) ? given : newId();
  }

  static String newId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return Long.toHexString(r.nextLong() | Long.MIN_VALUE) + Long.toHexString(r.nextLong() | Long.MIN_VALUE);
  }

  private static boolean isPlain(String s) {
    if (s == null || s.isEmpty() || s.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
          || c == ':' || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
