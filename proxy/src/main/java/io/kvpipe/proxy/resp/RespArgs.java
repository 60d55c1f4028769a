package io.kvpipe.proxy.resp;

import java.nio.charset.StandardCharsets;

/** Reading numbers and showing arguments in error messages. */
final class RespArgs {
  private RespArgs() {}

  /**
   * A signed 64-bit decimal as Redis reads one: optional '-', digits, no '+', no spaces, no leading zero; else
   * {@code ERR <message>}.
   */
  static long integer(byte[] raw, String message) {
    Long v = parseStrict(raw);
    if (v == null) {
      throw RespException.err(message);
    }
    return v;
  }

  /** The strict decimal in {@code raw}, or null if it is none (or out of range). */
  static Long parseStrict(byte[] raw) {
    if (raw.length == 0 || raw.length > 20) {
      return null;
    }
    int i = raw[0] == '-' ? 1 : 0;
    if (i == raw.length || (raw[i] == '0' && raw.length > i + 1) || (i == 1 && raw[1] == '0')) {
      return null;
    }
    for (int j = i; j < raw.length; j++) {
      if (raw[j] < '0' || raw[j] > '9') {
        return null;
      }
    }
    try {
      return Long.parseLong(new String(raw, StandardCharsets.US_ASCII));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** An argument for an error message: at most 64 characters, control characters escaped. */
  static String shown(byte[] raw) {
    String s = new String(raw, 0, Math.min(raw.length, 64), StandardCharsets.UTF_8);
    StringBuilder b = new StringBuilder();
    s.codePoints().forEach(c -> {
      if (c < 32 || c == 127) {
        b.append(String.format("\\x%02x", c));
      } else {
        b.appendCodePoint(c);
      }
    });
    return raw.length > 64 ? b + "..." : b.toString();
  }
}
