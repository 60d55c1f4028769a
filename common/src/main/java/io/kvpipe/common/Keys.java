package io.kvpipe.common;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Key and value validation. Every entry point (proxy, node, client) calls these before anything is replicated,
 * so a bad key or value is refused with the same error everywhere.
 */
public final class Keys {
  private Keys() {}

  /** Validates a key given as raw bytes: 1..512 bytes of well-formed UTF-8. Returns the decoded string. */
  public static String validateKey(byte[] key) {
    if (key == null || key.length == 0) {
      throw new KvException(ErrorCode.INVALID_KEY, "key must not be empty");
    }
    if (key.length > Limits.MAX_KEY_BYTES) {
      throw new KvException(ErrorCode.INVALID_KEY,
          "key is " + key.length + " bytes; the limit is " + Limits.MAX_KEY_BYTES);
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(key))
          .toString();
    } catch (CharacterCodingException e) {
      throw new KvException(ErrorCode.INVALID_KEY, "key is not valid UTF-8");
    }
  }

  /** Validates a key given as a string and returns its UTF-8 bytes. Lone surrogates are rejected, not replaced. */
  public static byte[] validateKey(String key) {
    if (key == null || key.isEmpty()) {
      throw new KvException(ErrorCode.INVALID_KEY, "key must not be empty");
    }
    ByteBuffer encoded;
    try {
      encoded = StandardCharsets.UTF_8.newEncoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .encode(java.nio.CharBuffer.wrap(key));
    } catch (CharacterCodingException e) {
      throw new KvException(ErrorCode.INVALID_KEY, "key is not valid Unicode (unpaired surrogate)");
    }
    byte[] bytes = new byte[encoded.remaining()];
    encoded.get(bytes);
    if (bytes.length > Limits.MAX_KEY_BYTES) {
      throw new KvException(ErrorCode.INVALID_KEY,
          "key is " + bytes.length + " bytes; the limit is " + Limits.MAX_KEY_BYTES);
    }
    return bytes;
  }

  /** Validates a value against the configured cap. A null value is invalid; an empty one is allowed. */
  public static void validateValue(byte[] value, int maxValueBytes) {
    if (value == null) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "value is missing");
    }
    if (value.length > maxValueBytes) {
      throw new KvException(ErrorCode.VALUE_TOO_LARGE,
          "value is " + value.length + " bytes; the limit is " + maxValueBytes);
    }
  }
}
