package io.kvpipe.common.wire;

import io.kvpipe.common.ring.HashRanges;
import java.util.List;
import java.util.Objects;

/** A read-only request, answered from one replica's applied state (linearizable or stale, as the client asks). */
public sealed interface Query extends Request {
  /** Upper bound on a scan page and on a batch get, so one request cannot ask for unbounded work. */
  int MAX_ITEMS = 10_000;

  record Get(byte[] key, String requestId) implements Query, Traced {
    public Get {
      Objects.requireNonNull(key, "key");
      RequestId.check(requestId);
    }

    public Get(byte[] key) {
      this(key, null);
    }
  }

  /**
   * A get that skips the ownership check: the migration's fallback read of a key whose ownership moved away from this
   * group (a plain {@link Get} of a key the group does not own is refused with WRONG_GROUP, so a proxy with an old
   * ring learns it must refresh instead of reading a frozen copy).
   */
  record FallbackGet(byte[] key, String requestId) implements Query, Traced {
    public FallbackGet {
      Objects.requireNonNull(key, "key");
      RequestId.check(requestId);
    }

    public FallbackGet(byte[] key) {
      this(key, null);
    }
  }

  record BatchGet(List<byte[]> keys) implements Query {
    public BatchGet {
      keys = List.copyOf(keys);
    }
  }

  /**
   * Records (tombstones included) whose ring position lies in {@code ranges}, in (position, key) order, starting
   * strictly after {@code after} (null: from the start), at most {@code limit} of them.
   */
  record Scan(HashRanges ranges, ScanCursor after, int limit) implements Query {
    public Scan {
      Objects.requireNonNull(ranges, "ranges");
    }
  }

  /**
   * Records (tombstones included, owned or not) whose key lies in [{@code start}, {@code end}) in unsigned byte
   * order of the keys, at most {@code limit} of them and, when {@code values}, at most about {@code maxBytes} of
   * values (the first record always fits). {@code end == null}: no upper bound. Without {@code values} a live record
   * comes with an empty value, so a tombstone ({@code null}) stays recognisable. The reply names the group's ownership
   * as read before the walk, so a caller can tell whether its ring was current (see {@link Reply.KeyPage}). Unlike
   * {@link Scan}, which walks ring order for migrations, this walks an index by key.
   */
  record KeyScan(byte[] start, byte[] end, int limit, boolean values, int maxBytes) implements Query {
    /** Longest bound: a key and one byte more (the successor of a key, to resume after it). */
    public static final int MAX_BOUND_BYTES = io.kvpipe.common.Limits.MAX_KEY_BYTES + 1;

    public KeyScan {
      Objects.requireNonNull(start, "start");
    }
  }

  /**
   * Concurrent single-key reads ({@link Get}, {@link FallbackGet}; at most {@link Command.Batch#MAX_OPS}) answered
   * together, so they share one linearizable read round; each has its own outcome (a key the group does not own fails
   * only that read).
   */
  record Batch(List<Query> reads) implements Query {
    public Batch {
      reads = List.copyOf(reads);
      if (reads.isEmpty() || reads.size() > Command.Batch.MAX_OPS) {
        throw new IllegalArgumentException("a read batch carries 1.." + Command.Batch.MAX_OPS + " reads");
      }
      for (Query q : reads) {
        if (!(q instanceof Get || q instanceof FallbackGet)) {
          throw new IllegalArgumentException("a read batch carries single-key gets only, not " + q);
        }
      }
    }
  }

  /**
   * Records {@code offset..} of the open export {@code exportId} (see {@link Command.OpenExport}), at most
   * {@code limit} of them and about {@code maxBytes} of values (the first record always fits). Answered with a
   * {@link Reply.KeyPage} carrying the ownership the export was taken with; NOT_FOUND when this replica holds no such
   * export (closed, dropped, or never opened).
   */
  record ExportPage(String exportId, long offset, int limit, int maxBytes) implements Query {
    public ExportPage {
      Objects.requireNonNull(exportId, "exportId");
    }
  }

  /** The replica's ownership, applied index and outbox level. */
  record Status() implements Query {}
}
