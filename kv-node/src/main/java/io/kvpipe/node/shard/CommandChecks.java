package io.kvpipe.node.shard;

import io.kvpipe.common.Keys;
import io.kvpipe.common.Ttl;
import io.kvpipe.common.Versions;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.MigrationToken;
import io.kvpipe.common.wire.Request;

/**
 * The checks a shard's commands must pass against its current state (ownership, migration fence, outbox room, epoch)
 * and on their own (well-formed keys, values, versions, limits): all of them before the leader replicates a command
 * ({@link #validate}), the state-dependent ones again at apply ({@link ShardState#apply}), which turns a refusal into
 * a reply. Reads {@link ShardState}'s state, never changes it; threads as {@link ShardState}'s callers.
 */
final class CommandChecks {
  private final ShardState state;

  CommandChecks(ShardState state) {
    this.state = state;
  }

  /**
   * The leader's checks before a command is replicated: well-formed key and value, key owned by this group, room in
   * the outbox. Throws {@link KvException}; the same state-dependent checks are repeated at apply time. Bulk commands
   * (PutAll, MigrateIn) repeat every check at apply, the value cap excepted: the leader's configured cap is not in the
   * log, so apply holds values to the hard cap only.
   */
  void validate(Command command, int maxValueBytes, LogStamp stamp) {
    switch (command) {
      case Command.Put p -> {
        checkWellFormed(p, maxValueBytes);
        checkOwned(p.key());
        checkOutboxNotFull(stamp);
      }
      case Command.Delete d -> {
        checkWellFormed(d, maxValueBytes);
        checkOwned(d.key());
        checkOutboxNotFull(stamp);
      }
      case Command.SetTtl t -> {
        BulkChecks.checkKey(t.key());
        Ttl.check(t.ttlMs(), "ttl");
        checkExpected(t.expectedVersion());
        checkOwned(t.key());
        checkOutboxNotFull(stamp);
      }
      case Command.Expire x -> {
        for (Command.Due d : x.keys()) {
          BulkChecks.checkKey(d.key());
        }
        checkOutboxNotFull(stamp);
      }
      case Command.Batch b -> validateBatch(b, maxValueBytes, stamp);
      case Command.Txn t -> {
        Transactions.checkWellFormed(t, maxValueBytes);
        for (byte[] key : t.keys()) {
          checkOwned(key);
        }
        checkOutboxNotFull(stamp);
      }
      case Command.ConfirmPublished c -> {
        if (c.upToIndex() < 0) {
          throw new KvException(ErrorCode.MALFORMED_REQUEST, "confirmed index must not be negative");
        }
      }
      case Command.SetOwnership s -> nextOwnership(s);
      case Command.PublishSnapshot s -> checkCdcOn(stamp);
      case Command.OpenExport o -> Exports.checkId(o.exportId());
      case Command.CloseExport c -> Exports.checkId(c.exportId());
      case Command.PutAll p -> BulkLoad.prepare(state, p.pairs(), maxValueBytes, stamp);
      case Command.MigrateIn m -> {
        checkToken(requireToken(m.token(), "MigrateIn"), true);
        MigrationCopy.check(state, m.entries(), maxValueBytes, stamp);
      }
      case Command.PurgeUnowned p -> {
        checkToken(requireToken(p.token(), "PurgeUnowned"), false);
        checkLimit(p.limit());
      }
      case Command.CollectTombstones c -> {
        checkToken(requireToken(c.token(), "CollectTombstones"), false);
        checkLimit(c.limit());
      }
    }
  }

  /**
   * A batch is refused as a whole only for what no op of it could survive (a malformed op, a key twice, a full
   * outbox, no key owned), so the client learns at once; ownership of single keys and CAS are each op's own outcome
   * at apply.
   */
  private void validateBatch(Command.Batch batch, int maxValueBytes, LogStamp stamp) {
    ShardStore.Slot[] slots = new ShardStore.Slot[batch.ops().size()];
    boolean anyOwned = false;
    for (int i = 0; i < slots.length; i++) {
      Command op = batch.ops().get(i);
      checkWellFormed(op, maxValueBytes);
      slots[i] = ShardStore.slot(keyOf(op));
      anyOwned |= state.ownership().ranges().contains(slots[i].position());
    }
    if (BulkChecks.firstDuplicate(slots) >= 0) {
      // Two writes of one key in one entry would share a version.
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "a batch writes a key twice");
    }
    if (!anyOwned) {
      throw new KvException(ErrorCode.WRONG_GROUP,
          "group " + state.group() + " owns none of the batch's keys at epoch " + state.ownership().epoch());
    }
    checkOutboxNotFull(stamp);
  }

  static void checkWellFormed(Command op, int maxValueBytes) {
    switch (op) {
      case Command.Put p -> {
        BulkChecks.checkKey(p.key());
        Keys.validateValue(p.value(), maxValueBytes);
        checkExpected(p.expectedVersion());
        Ttl.check(p.ttlMs(), "ttl");
      }
      case Command.Delete d -> {
        BulkChecks.checkKey(d.key());
        checkExpected(d.expectedVersion());
      }
      default -> throw new KvException(ErrorCode.MALFORMED_REQUEST, "not a single-key write: " + op);
    }
  }

  static byte[] keyOf(Command op) {
    return switch (op) {
      case Command.Put p -> p.key();
      case Command.Delete d -> d.key();
      case Command.SetTtl t -> t.key();
      default -> throw new KvException(ErrorCode.MALFORMED_REQUEST, "not a single-key write: " + op);
    };
  }

  /** A new request must carry a token; only log entries written before tokens existed are applied without one. */
  static MigrationToken requireToken(MigrationToken token, String what) {
    if (token == null) {
      throw new KvException(ErrorCode.CONFLICT, what + " without a migration token (sent by a coordinator older"
          + " than this node) is refused");
    }
    return token;
  }

  /**
   * Refuses a migration command of any migration but the one that set this group's ownership, and a copy once that
   * one's copies are closed: a coordinator that lost its lease must not act after another one moved on.
   */
  void checkToken(MigrationToken token, boolean copy) {
    Ownership own = state.ownership();
    if (!own.isCurrent(token)) {
      throw new KvException(ErrorCode.CONFLICT, "group " + state.group() + " is fenced by migration "
          + (own.migration().isEmpty() ? "(none)" : own.migration()) + " at epoch " + own.epoch() + ", not by "
          + token + ": refused");
    }
    if (copy && own.copiesClosed()) {
      throw new KvException(ErrorCode.CONFLICT, "group " + state.group() + ": migration " + token
          + " already collected its tombstones, so a late copy could bring back a key deleted meanwhile: refused");
    }
  }

  /**
   * The ownership a SetOwnership leads to. The epoch never goes back; at the same epoch another migration cannot
   * take the group over, and repeating the fence (a resuming coordinator) keeps the copies closed if they were.
   */
  Ownership nextOwnership(Command.SetOwnership s) {
    checkEpoch(s.epoch());
    if (s.migrationId().length() > MigrationToken.MAX_ID_LENGTH) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "migration id too long");
    }
    Ownership own = state.ownership();
    if (s.epoch() > own.epoch()) {
      return new Ownership(s.epoch(), s.ranges(), s.migrationId(), false);
    }
    boolean same = s.migrationId().equals(own.migration());
    if (!same && !s.migrationId().isEmpty() && !own.migration().isEmpty()) {
      throw new KvException(ErrorCode.CONFLICT, "group " + state.group() + " is fenced at epoch " + own.epoch()
          + " by migration " + own.migration() + ", not " + s.migrationId());
    }
    String migration = s.migrationId().isEmpty() ? own.migration() : s.migrationId();
    return new Ownership(s.epoch(), s.ranges(), migration, same && own.copiesClosed());
  }

  static void checkLimit(int limit) {
    if (limit < 1 || limit > ShardState.MAX_REMOVALS) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "limit must be within 1.." + ShardState.MAX_REMOVALS
          + ", got " + limit);
    }
  }

  void checkCdcOn(LogStamp stamp) {
    if (!stamp.cdcEnabled()) {
      throw new KvException(ErrorCode.CONFLICT, "group " + state.group()
          + ": CDC is off on its leader (no --kafka-bootstrap), so there is no change topic to publish a snapshot to");
    }
  }

  static void checkExpected(long expected) {
    if (expected < Request.ANY_VERSION) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "invalid expected version " + expected);
    }
  }

  void checkOwned(byte[] key) {
    checkOwned(HashRing.position(key));
  }

  void checkOwned(long position) {
    Ownership own = state.ownership();
    if (!own.ranges().contains(position)) {
      throw new KvException(ErrorCode.WRONG_GROUP,
          "group " + state.group() + " does not own this key at epoch " + own.epoch());
    }
  }

  void checkOutboxNotFull(LogStamp stamp) {
    if (stamp.cdcEnabled() && state.outbox().isFull(stamp.outboxMaxEvents(), stamp.outboxMaxBytes())) {
      throw backlogFull();
    }
  }

  KvException backlogFull() {
    return new KvException(ErrorCode.CDC_BACKLOG_FULL, "group " + state.group() + ": " + state.outbox().size()
        + " change events (" + state.outbox().bytes() + " bytes) wait for the CDC publisher; refusing writes until it"
        + " catches up");
  }

  void checkEpoch(long epoch) {
    if (epoch < 1 || epoch > Versions.MAX_EPOCH) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "epoch out of range: " + epoch);
    }
    if (epoch < state.ownership().epoch()) {
      throw new KvException(ErrorCode.CONFLICT,
          "epoch " + epoch + " is older than the group's epoch " + state.ownership().epoch());
    }
  }
}
