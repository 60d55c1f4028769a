package io.kvpipe.common.wire;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** One key's record in a shard: its value and version, or a tombstone ({@code value == null}) with its version. */
public record Entry(byte[] key, byte[] value, long version) {
  public Entry {
    Objects.requireNonNull(key, "key");
  }

  public boolean deleted() {
    return value == null;
  }

  public String keyString() {
    return new String(key, StandardCharsets.UTF_8);
  }
}
