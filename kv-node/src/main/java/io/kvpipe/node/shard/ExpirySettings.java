package io.kvpipe.node.shard;

import io.kvpipe.common.wire.Command;
import java.time.Duration;

/**
 * How the leader collects expired keys (docs/ttl.md): it looks for keys due every {@code pollInterval} while none
 * are, and proposes at most {@code batchKeys} of them per log entry, one entry in flight at a time.
 */
public record ExpirySettings(Duration pollInterval, int batchKeys) {
  public static final ExpirySettings DEFAULT = new ExpirySettings(Duration.ofMillis(100), 500);

  public ExpirySettings {
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("expiry poll interval must be positive");
    }
    if (batchKeys < 1 || batchKeys > Command.Expire.MAX_KEYS) {
      throw new IllegalArgumentException("expiry batch must be within 1.." + Command.Expire.MAX_KEYS);
    }
  }
}
