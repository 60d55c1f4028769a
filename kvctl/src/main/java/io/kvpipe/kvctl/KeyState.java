package io.kvpipe.kvctl;

import java.nio.charset.StandardCharsets;

/**
 * One key's state on one side of the comparison: its version and whether it is deleted (a tombstone). Keys are held
 * as ISO-8859-1 strings of their bytes: a 1:1 mapping, so equality is byte equality (keys need not be valid UTF-8 in
 * the archive).
 */
record KeyState(String keyBytes, long version, boolean deleted) {
  static String keyOf(byte[] key) {
    return new String(key, StandardCharsets.ISO_8859_1);
  }

  /** The key as text for people (UTF-8; undecodable bytes shown as U+FFFD). */
  static String display(String keyBytes) {
    return new String(keyBytes.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
  }
}
