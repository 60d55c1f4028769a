package io.kvpipe.proxy.watch;

import io.kvpipe.common.Limits;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.proxy.http.KeyPath;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * What a watch asks for, from {@code GET /v1/watch?prefix=P} or {@code ?key=K} and an optional resume position
 * ({@code &from=TOKEN} or the {@code Last-Event-ID} header an SSE client sends on reconnect). Parsing is strict: an
 * unknown parameter, a bad percent-escape, invalid UTF-8, a prefix or key over 512 bytes, or a malformed token is a
 * 400; a watch never starts on a guess.
 *
 * @param prefix  the key prefix (empty: every key); for {@code key=}, the key itself with {@code exact} set
 * @param exact   true: only the key equal to {@code prefix}
 * @param from    where to resume; empty: from now
 */
public record WatchRequest(String prefix, boolean exact, Optional<WatchPosition> from) {

  public boolean matches(String key) {
    return exact ? key.equals(prefix) : key.startsWith(prefix);
  }

  public static WatchRequest parse(String rawQuery, String lastEventId) {
    String prefix = null;
    String key = null;
    String from = null;
    if (rawQuery != null && !rawQuery.isEmpty()) {
      for (String part : rawQuery.split("&", -1)) {
        if (part.isEmpty()) {
          continue;
        }
        int eq = part.indexOf('=');
        String name = eq < 0 ? part : part.substring(0, eq);
        String raw = eq < 0 ? "" : part.substring(eq + 1);
        switch (name) {
          case "prefix" -> prefix = once(prefix, name, decodePrefix(raw));
          case "key" -> key = once(key, name, new String(decodeKey(raw), StandardCharsets.UTF_8));
          case "from" -> from = once(from, name, raw);
          default -> throw bad("unknown query parameter '" + abbreviate(name) + "' (use prefix, key, from)");
        }
      }
    }
    if ((prefix == null) == (key == null)) {
      throw bad("give exactly one of prefix=P (every key starting with P; empty for all keys) or key=K");
    }
    if (from != null && lastEventId != null && !lastEventId.isBlank() && !lastEventId.trim().equals(from)) {
      throw bad("from= and Last-Event-ID name different positions");
    }
    String token = from != null ? from : lastEventId == null || lastEventId.isBlank() ? null : lastEventId.trim();
    return new WatchRequest(key != null ? key : prefix, key != null,
        token == null ? Optional.empty() : Optional.of(WatchPosition.parse(token)));
  }

  /** A prefix: like a key (strict percent-escapes, '+' a space as in any query string), but may be empty. */
  private static String decodePrefix(String raw) {
    return raw.isEmpty() ? "" : new String(decodeKey(raw), StandardCharsets.UTF_8);
  }

  private static byte[] decodeKey(String raw) {
    if (raw.length() > 3 * Limits.MAX_KEY_BYTES) {
      throw new KvException(ErrorCode.INVALID_KEY, "prefix or key is longer than " + Limits.MAX_KEY_BYTES
          + " bytes");
    }
    return KeyPath.decode(raw.replace("+", "%20"));
  }

  private static String once(String previous, String name, String value) {
    if (previous != null) {
      throw bad("query parameter '" + name + "' given twice");
    }
    return value;
  }

  private static String abbreviate(String s) {
    return s.length() <= 32 ? s : s.substring(0, 32) + "...";
  }

  private static KvException bad(String message) {
    return new KvException(ErrorCode.MALFORMED_REQUEST, message);
  }
}
