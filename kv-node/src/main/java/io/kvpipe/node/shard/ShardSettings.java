package io.kvpipe.node.shard;

/**
 * What a shard state machine needs from the node's configuration. The CDC fields are stamped into each log entry by
 * the leader (see {@link LogStamp}), so replicas apply by the leader's settings, not their own.
 */
public record ShardSettings(int maxValueBytes, boolean cdcEnabled, int outboxMaxEvents, long outboxMaxBytes) {
  public ShardSettings {
    if (outboxMaxEvents < 1 || outboxMaxBytes < 1) {
      throw new IllegalArgumentException("outbox bounds must be positive");
    }
  }
}
