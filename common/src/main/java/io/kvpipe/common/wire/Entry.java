package io.kvpipe.common.wire;

import io.kvpipe.common.Ttl;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One key's record in a shard: its value and version, or a tombstone ({@code value == null}) with its version, and
 * its TTL deadline in epoch milliseconds of the leader's clock ({@link Ttl#NONE}: none; docs/ttl.md).
 */
public record Entry(byte[] key, byte[] value, long version, long expiresAtMs) {
  public Entry {
    Objects.requireNonNull(key, "key");
  }

  public Entry(byte[] key, byte[] value, long version) {
    this(key, value, version, Ttl.NONE);
  }

  public boolean deleted() {
    return value == null;
  }

  public boolean hasTtl() {
    return expiresAtMs != Ttl.NONE;
  }

  /** Whether this record is past its deadline at {@code nowMs} (a record without TTL never is). */
  public boolean expiredAt(long nowMs) {
    return Ttl.expired(expiresAtMs, nowMs);
  }

  public String keyString() {
    return new String(key, StandardCharsets.UTF_8);
  }
}
