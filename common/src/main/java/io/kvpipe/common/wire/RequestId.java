package io.kvpipe.common.wire;

/**
 * A request id: the proxy's name for one client request, carried with each operation it sends to a shard group so the
 * node's log lines about that operation can be matched with the proxy's (docs/operations.md, "Following a request").
 * 1..{@value #MAX_LENGTH} characters of {@code [A-Za-z0-9._:-]}: short ASCII that costs a log entry little and can be
 * written into any log line as is (no quoting, no injection).
 */
public final class RequestId {
  public static final int MAX_LENGTH = 64;
  /** The MDC key and log field name used for it by every process. */
  public static final String LOG_KEY = "request_id";

  private RequestId() {}

  /** Whether {@code s} is a usable request id (see the class comment). */
  public static boolean isPlain(String s) {
    if (s == null || s.isEmpty() || s.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (!plain(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** {@code s} if it is a usable id, else null: an id is a courtesy, never a reason to fail an operation. */
  public static String orNull(String s) {
    return isPlain(s) ? s : null;
  }

  static boolean plain(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
        || c == ':' || c == '-';
  }

  /** For record constructors: null, or a plain id; anything else is a caller's bug. */
  static String check(String id) {
    if (id != null && !isPlain(id)) {
      throw new IllegalArgumentException("a request id is 1.." + MAX_LENGTH + " characters of [A-Za-z0-9._:-]");
    }
    return id;
  }
}
