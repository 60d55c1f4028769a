package io.kvpipe.common.wire;

import io.kvpipe.common.ring.HashRanges;
import java.util.List;
import java.util.Objects;

/**
 * A replicated write. Keys travel as raw bytes so the server validates exactly what it received. An expected version
 * of {@link Request#ANY_VERSION} means unconditional; {@code Versions.NONE} means "only if the key has no live value".
 * Client writes are single-key; {@link Batch} (group commit), {@link PutAll} (bulk load) and {@link MigrateIn} (migration
 * copy) carry many keys in one log entry, each key still its own change event (same log index, seq 0..n-1).
 */
public sealed interface Command extends Request {

  /**
   * A put; {@code ttlMs} > 0 gives the key a time to live counted from the leader's stamp on the log entry,
   * {@link io.kvpipe.common.Ttl#NONE} (0) gives it none and clears any TTL it had (as Redis SET does).
   */
  record Put(byte[] key, byte[] value, long expectedVersion, long ttlMs, String requestId)
      implements Command, Traced {
    public Put {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      RequestId.check(requestId);
    }

    public Put(byte[] key, byte[] value, long expectedVersion, long ttlMs) {
      this(key, value, expectedVersion, ttlMs, null);
    }

    public Put(byte[] key, byte[] value, long expectedVersion) {
      this(key, value, expectedVersion, io.kvpipe.common.Ttl.NONE, null);
    }

    public static Put unconditional(byte[] key, byte[] value) {
      return new Put(key, value, ANY_VERSION);
    }
  }

  /**
   * Gives a live key a new time to live ({@code ttlMs} > 0, counted from the leader's stamp) or removes its TTL
   * ({@link io.kvpipe.common.Ttl#NONE}: PERSIST), keeping its value. It is a write: the key gets a new version and a
   * {@code u} change event, so a stale expiry can never delete it and a migration copy carries the new deadline.
   * Refused with NOT_FOUND when the key has no live value, VERSION_MISMATCH as a put when {@code expectedVersion}
   * differs.
   */
  record SetTtl(byte[] key, long ttlMs, long expectedVersion, String requestId) implements Command, Traced {
    public SetTtl {
      Objects.requireNonNull(key, "key");
      RequestId.check(requestId);
    }

    public SetTtl(byte[] key, long ttlMs, long expectedVersion) {
      this(key, ttlMs, expectedVersion, null);
    }
  }

  /**
   * Proposed by the group's leader for keys whose deadline has passed (docs/ttl.md): each key is deleted (a tombstone,
   * a {@code d} event with origin {@code expiry}) only if, at apply, it is still live at exactly {@code version} with
   * exactly that deadline, the deadline is not after this entry's leader stamp, and the group owns the key. Anything
   * else (re-put, TTL changed or removed, deleted, moved away, a leader whose clock is behind) skips the key: a stale
   * expiry never deletes a newer write.
   */
  record Expire(List<Due> keys) implements Command {
    public static final int MAX_KEYS = 1000;

    public Expire {
      keys = List.copyOf(keys);
      if (keys.isEmpty() || keys.size() > MAX_KEYS) {
        throw new IllegalArgumentException("an expiry carries 1.." + MAX_KEYS + " keys, not " + keys.size());
      }
    }
  }

  /** One key an {@link Expire} deletes, as the leader saw it: its version and deadline. */
  record Due(byte[] key, long version, long expiresAtMs) {
    public Due {
      Objects.requireNonNull(key, "key");
    }
  }

  record Delete(byte[] key, long expectedVersion, String requestId) implements Command, Traced {
    public Delete {
      Objects.requireNonNull(key, "key");
      RequestId.check(requestId);
    }

    public Delete(byte[] key, long expectedVersion) {
      this(key, expectedVersion, null);
    }
  }

  /**
   * Group commit: concurrent single-key client writes ({@link Put} and {@link Delete}, at most {@link #MAX_OPS}, each
   * key at most once) sharing one log entry. Each is applied in order with its own outcome (a refusal of one leaves
   * the others alone), its own change event (seq = its position among the entry's events) and the entry's version;
   * distinct keys keep every key's versions strictly increasing.
   */
  record Batch(List<Command> ops) implements Command {
    public static final int MAX_OPS = 1024;

    public Batch {
      ops = List.copyOf(ops);
      if (ops.isEmpty() || ops.size() > MAX_OPS) {
        throw new IllegalArgumentException("a batch carries 1.." + MAX_OPS + " writes, not " + ops.size());
      }
      for (Command op : ops) {
        if (!(op instanceof Put || op instanceof Delete)) {
          throw new IllegalArgumentException("a batch carries puts and deletes only, not " + op);
        }
      }
    }
  }

  /**
   * A transaction within one group (etcd's compare / then / else): if every compare holds on the applied state, the
   * {@code success} ops run, else the {@code failure} ops, in order, all in this one log entry and all or nothing.
   * Ops are unconditional {@link Put}s and {@link Delete}s and {@link Query.Get}s; a get sees the writes of the ops
   * before it. A key is written at most once per branch (its writes share the entry's version, as in a batch). Every
   * key (compared, read or written, in either branch) must be owned by the group, else nothing is applied
   * (WRONG_GROUP). Each write is its own change event (seq in order), all marked with the entry as their transaction.
   */
  record Txn(List<Compare> compares, List<Request> success, List<Request> failure, String requestId)
      implements Command, Traced {
    /** Most compares, and most ops per branch, one transaction may carry (as etcd's default --max-txn-ops). */
    public static final int MAX_OPS = 128;

    public Txn {
      RequestId.check(requestId);
      compares = List.copyOf(compares);
      success = List.copyOf(success);
      failure = List.copyOf(failure);
      if (compares.size() > MAX_OPS || success.size() > MAX_OPS || failure.size() > MAX_OPS) {
        throw new IllegalArgumentException("a transaction carries at most " + MAX_OPS
            + " compares and " + MAX_OPS + " ops per branch");
      }
      if (success.isEmpty() && failure.isEmpty()) {
        throw new IllegalArgumentException("a transaction needs at least one op");
      }
      for (List<Request> branch : List.of(success, failure)) {
        for (Request op : branch) {
          if (!(op instanceof Put || op instanceof Delete || op instanceof Query.Get)) {
            throw new IllegalArgumentException("a transaction op is a put, a delete or a get, not " + op);
          }
        }
      }
    }

    public Txn(List<Compare> compares, List<Request> success, List<Request> failure) {
      this(compares, success, failure, null);
    }

    /** This transaction carrying {@code id} (see {@link RequestId}); its ops keep theirs (none, as sent by a proxy). */
    public Txn withRequestId(String id) {
      return new Txn(compares, success, failure, id);
    }

    /** Every key the transaction names, compares first, then the ops of both branches (repeats included). */
    public List<byte[]> keys() {
      List<byte[]> keys = new java.util.ArrayList<>();
      compares.forEach(c -> keys.add(c.key()));
      for (List<Request> branch : List.of(success, failure)) {
        for (Request op : branch) {
          keys.add(keyOf(op));
        }
      }
      return keys;
    }

    /** The key of a transaction op. */
    public static byte[] keyOf(Request op) {
      return switch (op) {
        case Put p -> p.key();
        case Delete d -> d.key();
        case Query.Get g -> g.key();
        default -> throw new IllegalArgumentException("not a transaction op: " + op);
      };
    }
  }

  /**
   * One condition of a {@link Txn} on a key's live state (a tombstone counts as missing). {@code VALUE}: the key is
   * live with exactly {@code value}; {@code VERSION}: its live version is {@code version} ({@code Versions.NONE}: it
   * is missing); {@code EXISTS} / {@code MISSING}: it has / has no live value.
   */
  record Compare(byte[] key, Target target, byte[] value, long version) {
    public enum Target { VALUE, VERSION, EXISTS, MISSING }

    public Compare {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(target, "target");
      if ((target == Target.VALUE) != (value != null)) {
        throw new IllegalArgumentException("a value compare, and only it, carries a value");
      }
    }
  }

  /** The CDC publisher has durably published every event with log index <= {@code upToIndex}: trim the outbox. */
  record ConfirmPublished(long upToIndex) implements Command {}

  /**
   * Publish the group's live state: at this entry's log index, every live key becomes one {@code r} change event
   * (seq 0..N-1 in the store's order) carrying its current value and version. Changes no key. Refused when the
   * group's leader runs without CDC.
   */
  record PublishSnapshot() implements Command {}

  /**
   * From {@code epoch} on, the group owns exactly {@code ranges}. The epoch never decreases. {@code migrationId} names
   * the migration that fences the group ("" for none, e.g. aligning a group with the first ring): from then on the
   * group takes that migration's commands only (see {@link MigrationToken}).
   */
  record SetOwnership(long epoch, HashRanges ranges, String migrationId) implements Command {
    public SetOwnership {
      Objects.requireNonNull(ranges, "ranges");
      Objects.requireNonNull(migrationId, "migrationId");
    }

    public SetOwnership(long epoch, HashRanges ranges) {
      this(epoch, ranges, "");
    }
  }

  /**
   * Bulk load: puts every pair unconditionally, in order, in one log entry (all at the same version). Each key is an
   * ordinary client write with its own change event. All keys must be owned and valid, else nothing is applied.
   */
  record PutAll(List<KeyValue> pairs) implements Command {
    public PutAll {
      pairs = List.copyOf(pairs);
    }
  }

  /** One key and its new value, for {@link PutAll}. */
  record KeyValue(byte[] key, byte[] value) {
    public KeyValue {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
    }
  }

  /**
   * Migration copy into this group: each record (a tombstone when its value is null) is applied, keeping its version,
   * only if this group has no record of the key or an older one; a newer write or tombstone here always wins. Applied
   * records become change events with origin {@code migration}. Every key must be owned by this group (else nothing
   * is applied: WRONG_GROUP). With CDC on, refused with CDC_BACKLOG_FULL while the outbox is over half its bound, so
   * a copy never takes the room client writes need. Refused (CONFLICT) unless {@code token} is the migration that
   * fenced the group and its copies are still open: they close when it collects its tombstones, after which a late
   * copy could bring back a key deleted meanwhile.
   */
  record MigrateIn(List<Entry> entries, MigrationToken token) implements Command {
    public MigrateIn {
      entries = List.copyOf(entries);
    }

    /** Without a token: only as found in a log written before tokens existed (a new request is refused). */
    public MigrateIn(List<Entry> entries) {
      this(entries, null);
    }
  }

  /**
   * Removes up to {@code limit} records (tombstones included) this group holds but no longer owns, in store order,
   * after a migration copied them to their new owner. Emits no change events: the keys moved, they were not deleted.
   * Refused (CONFLICT) unless {@code token} is the migration that fenced the group: another one's sources may still
   * hold records it has not copied yet.
   */
  record PurgeUnowned(int limit, MigrationToken token) implements Command {
    /** Without a token: only as found in a log written before tokens existed (a new request is refused). */
    public PurgeUnowned(int limit) {
      this(limit, null);
    }
  }

  /**
   * Removes up to {@code limit} tombstones within {@code ranges}, once no migration can copy into those ranges (a
   * tombstone only exists so a copy cannot resurrect a deleted key). Emits no change events. Refused (CONFLICT)
   * unless {@code token} is the migration that fenced the group; closes that migration's copies.
   */
  record CollectTombstones(HashRanges ranges, int limit, MigrationToken token) implements Command {
    public CollectTombstones {
      Objects.requireNonNull(ranges, "ranges");
    }

    /** Without a token: only as found in a log written before tokens existed (a new request is refused). */
    public CollectTombstones(HashRanges ranges, int limit) {
      this(ranges, limit, null);
    }
  }

  /**
   * Opens a backup export named {@code exportId}: at this entry's log index every replica sets aside, outside the
   * replicated state, the list of the group's live records in the ranges it owns (in key order, with their versions),
   * which {@link Query.ExportPage} then reads page by page while writes go on. Changes no key and emits no event. A
   * replica holds at most a few exports (the oldest is dropped past that) and drops one left unread for long; an
   * export lives in memory only, but a restarted replica that replays this entry builds it again.
   */
  record OpenExport(String exportId) implements Command {
    /** Longest export id, so an id costs the log and the replicas little. */
    public static final int MAX_ID_LENGTH = 64;

    public OpenExport {
      Objects.requireNonNull(exportId, "exportId");
    }
  }

  /** Drops the export {@code exportId} on every replica (nothing if it is not open). */
  record CloseExport(String exportId) implements Command {
    public CloseExport {
      Objects.requireNonNull(exportId, "exportId");
    }
  }
}
