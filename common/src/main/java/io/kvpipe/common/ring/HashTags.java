package io.kvpipe.common.ring;

/**
 * Hash tags, as in Redis Cluster: when a key contains a {@code '{'}, and a {@code '}'} after it with at least one byte
 * between them, only the bytes between the first {@code '{'} and the first {@code '}'} after it are hashed, so
 * {@code {user:42}:profile} and {@code {user:42}:cart} always live in one group and can share a transaction. Any
 * other key (no braces, {@code {}} empty, no closing brace) is hashed whole. Works on raw bytes: both braces are
 * ASCII, which never occurs inside a multi-byte UTF-8 sequence.
 */
public final class HashTags {
  private HashTags() {}

  /** Whether only a part of {@code key} picks its group. */
  public static boolean hasTag(byte[] key) {
    return tag(key) != null;
  }

  /** {@code {offset, length}} of the key's hash tag, or null when the whole key is hashed. */
  static int[] tag(byte[] key) {
    for (int open = 0; open < key.length; open++) {
      if (key[open] == '{') {
        for (int close = open + 1; close < key.length; close++) {
          if (key[close] == '}') {
            return close == open + 1 ? null : new int[] {open + 1, close - open - 1};
          }
        }
        return null;
      }
    }
    return null;
  }
}
