package io.kvpipe.common.wire;

import io.kvpipe.common.ring.HashRanges;
import java.util.List;
import java.util.Objects;

/** A read-only request, answered from one replica's applied state (linearizable or stale, as the client asks). */
public sealed interface Query extends Request {
  /** Upper bound on a scan page and on a batch get, so one request cannot ask for unbounded work. */
  int MAX_ITEMS = 10_000;

  record Get(byte[] key) implements Query {
    public Get {
      Objects.requireNonNull(key, "key");
    }
  }

  /**
   * A get that skips the ownership check: the migration's fallback read of a key whose ownership moved away from this
   * group (a plain {@link Get} of a key the group does not own is refused with WRONG_GROUP, so a proxy with an old
   * ring learns it must refresh instead of reading a frozen copy).
   */
  record FallbackGet(byte[] key) implements Query {
    public FallbackGet {
      Objects.requireNonNull(key, "key");
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

  /** The replica's ownership, applied index and outbox level. */
  record Status() implements Query {}
}
