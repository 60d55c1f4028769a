package io.kvpipe.common.wire;

/**
 * Anything a client sends to a shard group: a {@link Command} (replicated through the Raft log) or a {@link Query}
 * (read-only, answered by one replica). Encoded by {@link WireCodec}.
 */
public sealed interface Request permits Command, Query {
  /** Expected-version value meaning "unconditional": write whatever the key holds now. */
  long ANY_VERSION = -1;
}
