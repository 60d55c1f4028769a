package io.kvpipe.proxy.kv;

import io.kvpipe.common.wire.Entry;
import java.util.Optional;

/**
 * A key's time to live as a reader sees it (docs/ttl.md): whether it has a live value, and if it has a deadline,
 * that deadline (epoch ms of the leader's clock that stamped it) and the time left by this proxy's clock. What Redis's
 * TTL and PTTL answer is {@link #redisPttl()} and {@link #redisTtl()}.
 */
public record KeyTtl(boolean exists, long expiresAtMs, long remainingMs) {
  /** Remaining time of a key without TTL, as Redis answers it. */
  public static final long NO_TTL = -1;
  /** Remaining time of a missing key, as Redis answers it. */
  public static final long NO_KEY = -2;

  /**
   * From a read's result at {@code nowMs}. A deadline the node had not reached yet but this proxy's clock has passed
   * (clocks differ a little) leaves 0 ms: the key is about to go.
   */
  public static KeyTtl of(Optional<Entry> found, long nowMs) {
    if (found.isEmpty() || found.get().deleted()) {
      return new KeyTtl(false, 0, NO_KEY);
    }
    Entry e = found.get();
    if (!e.hasTtl()) {
      return new KeyTtl(true, 0, NO_TTL);
    }
    return new KeyTtl(true, e.expiresAtMs(), Math.max(0, e.expiresAtMs() - nowMs));
  }

  /** Redis PTTL: -2 missing, -1 no TTL, else milliseconds left. */
  public long redisPttl() {
    return remainingMs;
  }

  /** Redis TTL: -2 missing, -1 no TTL, else seconds left, rounded to nearest as Redis does. */
  public long redisTtl() {
    return remainingMs < 0 ? remainingMs : (remainingMs + 500) / 1000;
  }
}
