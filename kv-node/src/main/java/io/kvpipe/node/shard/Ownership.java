package io.kvpipe.node.shard;

import io.kvpipe.common.ring.HashRanges;
import java.util.Objects;

/** The hash ranges a group owns from {@code epoch} on. Immutable; swapped whole by the apply thread. */
record Ownership(long epoch, HashRanges ranges) {
  static final Ownership INITIAL = new Ownership(1, HashRanges.FULL);

  Ownership {
    Objects.requireNonNull(ranges, "ranges");
  }
}
