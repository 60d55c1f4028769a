package io.kvpipe.common.wire;

import java.util.Objects;

/**
 * The fencing token of a migration's commands: the migration's id and the epoch its plan fences at (a cancel's
 * inverse plan fences one epoch further, under the same id). A group records the token of the migration that last
 * set its ownership and refuses the commands of any other, so a coordinator that lost its lease cannot act on a group
 * once another one moved it on.
 */
public record MigrationToken(String migrationId, long epoch) {
  /** Longer ids are refused: the token travels in every copy and lives in the group's replicated state. */
  public static final int MAX_ID_LENGTH = 200;

  public MigrationToken {
    Objects.requireNonNull(migrationId, "migrationId");
    if (migrationId.isEmpty() || migrationId.length() > MAX_ID_LENGTH) {
      throw new IllegalArgumentException("a migration id has 1.." + MAX_ID_LENGTH + " characters");
    }
  }

  @Override
  public String toString() {
    return migrationId + "@" + epoch;
  }
}
