package io.kvpipe.node.shard;

import java.util.Objects;

/**
 * What a shard state machine needs from the node's configuration. The CDC fields are stamped into each log entry by
 * the leader (see {@link LogStamp}), so replicas apply by the leader's settings, not their own.
 *
 * @param eventLimit the largest change event the leader can publish; writes whose event would be larger are refused
 *     up front (only with CDC on)
 */
public record ShardSettings(int maxValueBytes, boolean cdcEnabled, int outboxMaxEvents, long outboxMaxBytes,
                            EventLimit eventLimit) {
  public ShardSettings {
    if (outboxMaxEvents < 1 || outboxMaxBytes < 1) {
      throw new IllegalArgumentException("outbox bounds must be positive");
    }
    Objects.requireNonNull(eventLimit, "eventLimit");
  }

  /** Settings without an event limit (tests, and nodes whose CDC is off). */
  public ShardSettings(int maxValueBytes, boolean cdcEnabled, int outboxMaxEvents, long outboxMaxBytes) {
    this(maxValueBytes, cdcEnabled, outboxMaxEvents, outboxMaxBytes, EventLimit.NONE);
  }
}
