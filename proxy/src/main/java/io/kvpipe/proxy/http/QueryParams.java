package io.kvpipe.proxy.http;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** The query string's parameters (first value wins); malformed values are a 400, never an exception to Jetty. */
public final class QueryParams {
  private static final QueryParams NONE = new QueryParams(Map.of());
  private final Map<String, String> values;

  private QueryParams(Map<String, String> values) {
    this.values = values;
  }

  public static QueryParams parse(String query) {
    if (query == null || query.isEmpty()) {
      return NONE;
    }
    Map<String, String> m = new HashMap<>();
    for (String part : query.split("&")) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      try {
        String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
        String v = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
        m.putIfAbsent(k, v);
      } catch (IllegalArgumentException e) {
        throw new KvException(ErrorCode.MALFORMED_REQUEST, "malformed query string");
      }
    }
    return new QueryParams(m);
  }

  public String get(String name) {
    return values.get(name);
  }

  public long longValue(String name, long dflt) {
    String v = values.get(name);
    if (v == null) {
      return dflt;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "query parameter " + name + " must be an integer");
    }
  }
}
