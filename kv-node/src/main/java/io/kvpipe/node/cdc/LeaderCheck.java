package io.kvpipe.node.cdc;

/**
 * Whether this replica currently leads the shard group. The publisher is started on becoming leader and stopped on
 * stepping down; it also asks this before each batch and each confirm, as a second fence. Must be cheap and
 * thread-safe (e.g. Ratis' {@code DivisionInfo.isLeader()}).
 */
@FunctionalInterface
public interface LeaderCheck {
  boolean isLeader();
}
