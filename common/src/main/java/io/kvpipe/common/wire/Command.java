package io.kvpipe.common.wire;

import io.kvpipe.common.ring.HashRanges;
import java.util.Objects;

/**
 * A replicated write. Keys travel as raw bytes so the server validates exactly what it received. An expected version
 * of {@link Request#ANY_VERSION} means unconditional; {@code Versions.NONE} means "only if the key has no live value".
 * (There is deliberately no multi-key batch write: clients pipeline single puts, each its own log entry and event.)
 */
public sealed interface Command extends Request {

  record Put(byte[] key, byte[] value, long expectedVersion) implements Command {
    public Put {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
    }

    public static Put unconditional(byte[] key, byte[] value) {
      return new Put(key, value, ANY_VERSION);
    }
  }

  record Delete(byte[] key, long expectedVersion) implements Command {
    public Delete {
      Objects.requireNonNull(key, "key");
    }
  }

  /** The CDC publisher has durably published every event with log index <= {@code upToIndex}: trim the outbox. */
  record ConfirmPublished(long upToIndex) implements Command {}

  /**
   * Publish the group's live state: at this entry's log index, every live key becomes one {@code r} change event
   * (seq 0..N-1 in the store's order) carrying its current value and version. Changes no key. Refused when the
   * group's leader runs without CDC.
   */
  record PublishSnapshot() implements Command {}

  /** From {@code epoch} on, the group owns exactly {@code ranges} (migration). The epoch never decreases. */
  record SetOwnership(long epoch, HashRanges ranges) implements Command {
    public SetOwnership {
      Objects.requireNonNull(ranges, "ranges");
    }
  }
}
