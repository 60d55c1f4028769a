package io.kvpipe.common.wire;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.error.OutcomeUnknownException;
import io.kvpipe.common.ring.HashRanges;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/** What a shard group answers. A refused request is a {@link Failure}, never a half-applied change. */
public sealed interface Reply {

  /** A put or delete was applied at {@code version}; {@code previous} is the key's former live value or null. */
  record Written(long version, byte[] previous) implements Reply {}

  /** A get: the key's record (possibly a tombstone), or null when the group has no record of it. */
  record Found(Entry entry) implements Reply {}

  /** A batch get: one element per requested key, in order, null where the group has no record. */
  record FoundMany(List<Entry> entries) implements Reply {
    public FoundMany {
      entries = Collections.unmodifiableList(new java.util.ArrayList<>(entries));
    }
  }

  /** A scan page; {@code next} is null when the ranges are exhausted. */
  record ScanPage(List<Entry> entries, ScanCursor next) implements Reply {
    public ScanPage {
      entries = List.copyOf(entries);
    }
  }

  /**
   * A {@link Query.KeyScan} page in key order; {@code more} when records past the last one may be left within the
   * bounds. {@code epoch} and {@code owned} are the group's ownership as it was before the page was read.
   */
  record KeyPage(long epoch, HashRanges owned, List<Entry> entries, boolean more) implements Reply {
    public KeyPage {
      Objects.requireNonNull(owned, "owned");
      entries = List.copyOf(entries);
    }
  }

  /** The outcomes of a {@link Command.Batch} or {@link Query.Batch}, one per operation, in order. */
  record Batch(List<Reply> replies) implements Reply {
    public Batch {
      replies = List.copyOf(replies);
    }
  }

  /**
   * A {@link Command.Txn}'s outcome: whether its compares held, and one result per op of the branch that ran, in
   * order ({@link Written} for a put or delete, {@link Found} for a get).
   */
  record Txn(boolean succeeded, List<Reply> results) implements Reply {
    public Txn {
      results = List.copyOf(results);
    }
  }

  /** A migration copy: {@code applied} records taken, {@code skipped} ones this group already had newer. */
  record Migrated(int applied, int skipped) implements Reply {}

  /** A purge or tombstone collection removed {@code removed} records; {@code more} if some are left to remove. */
  record Purged(int removed, boolean more) implements Reply {}

  record Confirmed(long confirmedIndex) implements Reply {}

  /** A snapshot was queued for publication: {@code events} r events at log index {@code logIndex}. */
  record SnapshotPublished(long logIndex, int events) implements Reply {}

  /**
   * An export was opened at log index {@code logIndex}: {@code records} live records of the ranges {@code owned} at
   * ownership epoch {@code epoch}.
   */
  record ExportOpened(String exportId, long logIndex, long epoch, HashRanges owned, long records) implements Reply {
    public ExportOpened {
      Objects.requireNonNull(exportId, "exportId");
      Objects.requireNonNull(owned, "owned");
    }
  }

  record Ownership(long epoch, HashRanges ranges) implements Reply {
    public Ownership {
      Objects.requireNonNull(ranges, "ranges");
    }
  }

  record Status(long epoch, HashRanges ranges, long appliedIndex, long confirmedIndex, int outboxEvents,
                long outboxBytes, long records) implements Reply {
    public Status {
      Objects.requireNonNull(ranges, "ranges");
    }
  }

  record Failure(ErrorCode code, String message) implements Reply {
    public Failure {
      Objects.requireNonNull(code, "code");
      Objects.requireNonNull(message, "message");
    }

    public static Failure of(KvException e) {
      return new Failure(e.code(), String.valueOf(e.getMessage()));
    }

    /** The failure; a group's TIMEOUT answer is an unknown outcome (see {@link ErrorCode#TIMEOUT}). */
    public KvException toException() {
      return code == ErrorCode.TIMEOUT ? new OutcomeUnknownException(code, message) : new KvException(code, message);
    }
  }
}
