package io.kvpipe.proxy.http;

import io.kvpipe.common.Keys;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Decodes the key part of {@code /v1/kv/{key}}: percent-escapes become bytes (strictly: '%' must be followed by two
 * hex digits; '+' is a plus, not a space), other characters are taken as UTF-8, and the result is validated with
 * {@link Keys} (1..512 bytes of well-formed UTF-8). Everything after the prefix is the key, slashes included.
 */
public final class KeyPath {
  private KeyPath() {}

  /** Returns the validated key bytes. */
  public static byte[] decode(String rawKey) {
    if (rawKey == null || rawKey.isEmpty()) {
      throw new KvException(ErrorCode.INVALID_KEY, "key must not be empty");
    }
    if (rawKey.length() <= io.kvpipe.common.Limits.MAX_KEY_BYTES && rawKey.indexOf('%') < 0 && isAscii(rawKey)) {
      // Fast path (the common case): 1..512 ASCII characters are 1..512 bytes of valid UTF-8 as they are.
      return rawKey.getBytes(StandardCharsets.US_ASCII);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(rawKey.length());
    for (int i = 0; i < rawKey.length(); i++) {
      char c = rawKey.charAt(i);
      if (c == '%') {
        if (i + 2 >= rawKey.length()) {
          throw new KvException(ErrorCode.INVALID_KEY, "truncated percent-escape in key");
        }
        int hi = Character.digit(rawKey.charAt(i + 1), 16);
        int lo = Character.digit(rawKey.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new KvException(ErrorCode.INVALID_KEY, "invalid percent-escape in key");
        }
        out.write(hi << 4 | lo);
        i += 2;
      } else if (c < 0x80) {
        out.write(c);
      } else {
        int cp = rawKey.codePointAt(i);
        if (Character.charCount(cp) == 2) {
          i++;
        }
        out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
      }
      if (out.size() > 4 * io.kvpipe.common.Limits.MAX_KEY_BYTES) {
        break; // Already far too long: validation below reports it without decoding the rest.
      }
    }
    byte[] key = out.toByteArray();
    Keys.validateKey(key);
    return key;
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /** Percent-encodes a key for a URL path (everything but unreserved characters). For clients and tests. */
  public static String encode(String key) {
    StringBuilder sb = new StringBuilder();
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
          || c == '_' || c == '~') {
        sb.append((char) c);
      } else {
        sb.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
      }
    }
    return sb.toString();
  }
}
