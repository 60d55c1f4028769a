package io.kvpipe.node.shard;

import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.wire.MigrationToken;
import java.util.Objects;

/**
 * The hash ranges a group owns from {@code epoch} on, the migration that set them ({@code migration}, "" for none) and
 * whether that migration's copies are closed (it collected its tombstones: a copy from then on could resurrect a key
 * deleted meanwhile). Immutable; swapped whole by the apply thread.
 */
record Ownership(long epoch, HashRanges ranges, String migration, boolean copiesClosed) {
  static final Ownership INITIAL = new Ownership(1, HashRanges.FULL, "", false);

  Ownership {
    Objects.requireNonNull(ranges, "ranges");
    Objects.requireNonNull(migration, "migration");
  }

  Ownership(long epoch, HashRanges ranges) {
    this(epoch, ranges, "", false);
  }

  /** Whether {@code token} is the migration that set this ownership. */
  boolean isCurrent(MigrationToken token) {
    return token.migrationId().equals(migration) && token.epoch() == epoch;
  }

  Ownership closingCopies() {
    return new Ownership(epoch, ranges, migration, true);
  }
}
