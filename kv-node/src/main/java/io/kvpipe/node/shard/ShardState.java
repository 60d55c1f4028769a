package io.kvpipe.node.shard;

import io.kvpipe.common.Limits;
import io.kvpipe.common.Ttl;
import io.kvpipe.common.Versions;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import io.kvpipe.node.raft.AppliedCalls;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The replicated state of one shard group — store, ownership, CDC outbox — and the deterministic rules that change
 * it. Free of Ratis so it can be tested directly. {@link #apply} depends only on the state and its arguments (all of
 * which come from the Raft log), so every replica that applies the same entries reaches the same state.
 *
 * <p>Thread ownership: {@link #apply} runs on the Raft apply thread only; {@link #validate} and {@link #query} run on
 * request threads and only read.
 */
public final class ShardState {
  /** Upper bound on the records one PurgeUnowned or CollectTombstones removes, so one log entry stays short. */
  public static final int MAX_REMOVALS = 100_000;

  private final String group;
  private final ShardStore store = new ShardStore();
  private final Outbox outbox = new Outbox();
  /** Backup exports: replica-local, outside the replicated state (see {@link Exports}). */
  private final Exports exports = new Exports();
  private volatile Ownership ownership = Ownership.INITIAL;
  private final CommandChecks checks = new CommandChecks(this);
  private final AppliedCalls calls = new AppliedCalls();
  private volatile long appliedIndex;
  /** The newest leader stamp applied (a high-water mark: a new leader's clock may be behind an old one's). */
  private volatile long newestStampMs;
  /** This replica's wall clock: only for reads (docs/ttl.md), never for a decision made at apply. */
  private final LongSupplier clock;

  public ShardState(String group) {
    this(group, System::currentTimeMillis);
  }

  ShardState(String group, LongSupplier clock) {
    this.group = group;
    this.clock = clock;
  }

  /**
   * The time a read compares TTL deadlines with: the later of this replica's clock and the newest leader stamp it
   * applied. On the leader that is its own clock, the one that stamped the deadlines it wrote; the stamp keeps a
   * replica whose clock is behind from showing a key the log already says is past its deadline, and the clock keeps
   * an idle group's keys expiring with no write to move the stamp (docs/ttl.md).
   */
  long readTimeMs() {
    return Math.max(newestStampMs, clock.getAsLong());
  }

  long newestStampMs() {
    return newestStampMs;
  }

  String group() {
    return group;
  }

  ShardStore store() {
    return store;
  }

  Outbox outbox() {
    return outbox;
  }

  Ownership ownership() {
    return ownership;
  }

  long appliedIndex() {
    return appliedIndex;
  }

  /**
   * The state as of now, for a snapshot written by another thread while applies go on: ownership and the confirmed
   * index as values, the outbox's events as a list (immutable events, bounded by the outbox's limits), the records
   * as a frozen view of the store. Apply thread only; the caller releases the view once written.
   */
  Frozen freeze() {
    return new Frozen(group, ownership, outbox.confirmedIndex(), newestStampMs, store.freeze(), outbox.all(),
        calls.all(), calls.knownFrom());
  }

  /** See {@link #freeze()}. */
  record Frozen(String group, Ownership ownership, long confirmedIndex, long newestStampMs, FrozenRecords records,
                List<ChangeEvent> outbox, List<AppliedCalls.Applied> calls, long callsKnownFrom) {
    void release() {
      records.release();
    }
  }

  void restore(Ownership restoredOwnership, long restoredAppliedIndex, long confirmedIndex, long stampMs) {
    newestStampMs = stampMs;
    ownership = restoredOwnership;
    appliedIndex = restoredAppliedIndex;
    outbox.restoreConfirmedIndex(confirmedIndex);
  }

  /**
   * The calls a snapshot remembers as applied ({@link AppliedCalls}), oldest first, and from which index every replica
   * remembers them ({@link AppliedCalls#UNKNOWN} for a snapshot of an older rule, {@link AppliedCalls#restore}).
   */
  void restoreCalls(List<AppliedCalls.Applied> applied, long knownFrom) {
    calls.restore(applied, knownFrom);
  }

  /** {@link AppliedCalls#knownFrom}. Any thread. */
  long callsKnownFrom() {
    return calls.knownFrom();
  }

  /** Applies the marker entry ({@link AppliedCalls#MARKER}) at {@code index}: it changes nothing else. */
  Reply markCallsKnown(long index) {
    calls.markKnownFrom(index);
    return applyNothing(index);
  }

  /** Applies an entry at {@code index} that changes nothing ({@link AppliedCalls#isRetiredMarker}). */
  Reply applyNothing(long index) {
    appliedIndex = index;
    return new Reply.Confirmed(outbox.confirmedIndex());
  }

  int rememberedCalls() {
    return calls.size();
  }

  /**
   * The leader's checks before a command is replicated ({@link CommandChecks#validate}); throws {@link KvException}.
   */
  void validate(Command command, int maxValueBytes, LogStamp stamp) {
    checks.validate(command, maxValueBytes, stamp);
  }

  /** This shard's command checks, also for the bulk paths that repeat them at apply. */
  CommandChecks checks() {
    return checks;
  }

  /**
   * Applies one committed client call: {@link #apply(Command, long, long, LogStamp)} unless the same call ({@code id},
   * null for none) was applied before within {@link AppliedCalls#WINDOW_MS}, at an index every replica knows it from
   * ({@link AppliedCalls#duplicateOf}). A resend of an applied call changes
   * nothing and is told so: its first reply is not kept, so it says the outcome is unknown (TIMEOUT, as when a
   * caller's deadline passes) and where the call was applied; the caller reads the keys to learn it.
   */
  Reply apply(Command command, long index, long term, LogStamp stamp, AppliedCalls.CallId id) {
    long first = calls.duplicateOf(id);
    if (first >= 0) {
      appliedIndex = index;
      newestStampMs = Math.max(newestStampMs, stamp.tsMs());
      Reply.Failure again = Reply.Failure.of(alreadyApplied(first));
      OpLog.refused(group, index, command, again.toException());
      return command instanceof Command.Batch b ? new Reply.Batch(Collections.nCopies(b.ops().size(), again))
          : again;
    }
    Reply reply = apply(command, index, term, stamp);
    if (id != null) {
      calls.applied(id, index, newestStampMs);
    }
    return reply;
  }

  /** The index the call {@code id} (null: none) was applied at within {@link AppliedCalls#WINDOW_MS}, or -1. Any thread. */
  long appliedAt(AppliedCalls.CallId id) {
    return calls.appliedAt(id);
  }

  /** The answer to a resend of a call applied at {@code first}: its first reply is not kept, so its outcome is unknown. */
  KvException alreadyApplied(long first) {
    return AppliedCalls.alreadyApplied(group, first, "read the keys to learn it");
  }

  /** Applies one committed command. Refusals are replies, never exceptions, and leave the state unchanged. */
  Reply apply(Command command, long index, long term, LogStamp stamp) {
    appliedIndex = index;
    if (stamp.tsMs() > newestStampMs) {
      newestStampMs = stamp.tsMs();
    } else if (stamp.tsMs() < newestStampMs) {
      // A new leader whose clock is behind the old one's: judging TTLs by its stamp would make keys that reads
      // already hide (they use the high-water mark) live again for writes, and a deadline set now end earlier than
      // "now" was. Time at apply never goes back (docs/ttl.md).
      stamp = stamp.at(newestStampMs);
    }
    try {
      Reply reply = switch (command) {
        case Command.Put p -> writeAlone(p, index, term, stamp);
        case Command.Delete d -> writeAlone(d, index, term, stamp);
        case Command.SetTtl t -> writeAlone(t, index, term, stamp);
        case Command.Expire x -> expire(x, index, term, stamp);
        case Command.Batch b -> applyBatch(b, index, term, stamp);
        case Command.Txn t -> applyTxn(t, index, term, stamp);
        case Command.ConfirmPublished c -> {
          outbox.confirm(Math.min(c.upToIndex(), index));
          yield new Reply.Confirmed(outbox.confirmedIndex());
        }
        case Command.SetOwnership s -> {
          ownership = checks.nextOwnership(s);
          yield new Reply.Ownership(s.epoch(), s.ranges());
        }
        case Command.PublishSnapshot s -> publishSnapshot(index, term, stamp);
        case Command.OpenExport o -> exports.open(o.exportId(), index, stamp.tsMs(), this);
        case Command.CloseExport c -> new Reply.Purged(exports.close(c.exportId()) ? 1 : 0, false);
        case Command.PutAll p ->
            BulkLoad.prepare(this, p.pairs(), Limits.HARD_MAX_VALUE_BYTES, stamp).apply(index, term, stamp);
        case Command.MigrateIn m -> {
          // Entries logged before tokens existed (none) are applied as they were then.
          if (m.token() != null) {
            checks.checkToken(m.token(), true);
          }
          yield MigrationCopy.check(this, m.entries(), Limits.HARD_MAX_VALUE_BYTES, stamp).apply(index, term, stamp);
        }
        case Command.PurgeUnowned p -> {
          if (p.token() != null) {
            checks.checkToken(p.token(), false);
          }
          CommandChecks.checkLimit(p.limit());
          ShardStore.Removal r = store.removeIn(HashRanges.FULL.minus(ownership.ranges()), p.limit());
          yield new Reply.Purged(r.removed(), r.more());
        }
        case Command.CollectTombstones c -> {
          if (c.token() != null) {
            checks.checkToken(c.token(), false);
          }
          CommandChecks.checkLimit(c.limit());
          ShardStore.Removal r = store.removeTombstonesIn(c.ranges(), c.limit());
          if (c.token() != null) {
            ownership = ownership.closingCopies();
          }
          yield new Reply.Purged(r.removed(), r.more());
        }
      };
      if (command instanceof io.kvpipe.common.wire.Traced) {
        OpLog.applied(group, index, command, reply);
      }
      return reply;
    } catch (KvException e) {
      if (command instanceof io.kvpipe.common.wire.Traced) {
        OpLog.refused(group, index, command, e);
      }
      return Reply.Failure.of(e);
    }
  }

  private Reply writeAlone(Command op, long index, long term, LogStamp stamp) {
    EntryEvents events = new EntryEvents(1);
    Reply r = write(op, index, term, stamp, events);
    outbox.appendAll(events.list());
    return r;
  }

  /**
   * The ops of a batch, in order, each with its own outcome; their events share the entry's index (seq in order of
   * the ops that were applied) and reach the outbox together.
   */
  private Reply applyBatch(Command.Batch batch, long index, long term, LogStamp stamp) {
    EntryEvents events = new EntryEvents(batch.ops().size());
    List<Reply> replies = new ArrayList<>(batch.ops().size());
    for (Command op : batch.ops()) {
      try {
        Reply r = write(op, index, term, stamp, events);
        OpLog.applied(group, index, op, r);
        replies.add(r);
      } catch (KvException e) {
        OpLog.refused(group, index, op, e);
        replies.add(Reply.Failure.of(e));
      }
    }
    outbox.appendAll(events.list());
    return new Reply.Batch(replies);
  }

  /**
   * One put or delete at {@code index}; its change event (if CDC is on) is added to {@code events}, the entry's events
   * so far, which the caller hands to the outbox. A refusal throws and changes nothing.
   */
  private Reply write(Command op, long index, long term, LogStamp stamp, EntryEvents events) {
    Staged w = stage(op, store.get(ShardStore.slot(CommandChecks.keyOf(op))), index, term, stamp, events, false);
    store.put(w.slot(), w.rec());
    return w.reply();
  }

  /** A write checked and its event made, not yet in the store. */
  private record Staged(ShardStore.Slot slot, ShardStore.Rec rec, Reply.Written reply) {}

  /**
   * Checks {@code op} against {@code current}, the key's record, and makes its new record and change event (added to
   * {@code events}) without touching the store: the one rule for every client write, alone, batched or in a
   * transaction ({@code txn} marks its event). Throws on a refusal; then {@code events} is unchanged.
   */
  private Staged stage(Command op, ShardStore.Rec current, long index, long term, LogStamp stamp, EntryEvents events,
                       boolean txn) {
    byte[] key = CommandChecks.keyOf(op);
    long expected = switch (op) {
      case Command.Put p -> p.expectedVersion();
      case Command.Delete d -> d.expectedVersion();
      case Command.SetTtl t -> t.expectedVersion();
      default -> throw new KvException(ErrorCode.MALFORMED_REQUEST, "not a single-key write: " + op);
    };
    ShardStore.Slot slot = ShardStore.slot(key);
    checks.checkOwned(slot.position());
    // A record past its deadline at this entry's stamp is no live value, whether or not its expiry was applied yet:
    // the same time every replica reads from the log, so they all decide alike (docs/ttl.md).
    boolean live = current != null && current.liveAt(stamp.tsMs());
    if (op instanceof Command.SetTtl && !live) {
      throw new KvException(ErrorCode.NOT_FOUND, "the key has no live value to set a TTL on");
    }
    byte[] value = switch (op) {
      case Command.Put p -> p.value();
      case Command.SetTtl t -> current.value();
      default -> null;
    };
    // Checked again at apply: the leader checked it, but a deadline must never come from a TTL out of range.
    long ttl = Ttl.check(op instanceof Command.Put p ? p.ttlMs() : op instanceof Command.SetTtl t ? t.ttlMs()
        : Ttl.NONE, "ttl");
    if (expected != Request.ANY_VERSION) {
      long actual = live ? current.version() : Versions.NONE;
      if (actual != expected) {
        throw new KvException(ErrorCode.VERSION_MISMATCH,
            "expected version " + expected + ", the key is at " + (live ? actual : "no live value"));
      }
    }
    long epoch = ownership.epoch();
    long version = Versions.of(epoch, index);
    byte[] previous = live ? current.value() : null;
    if (stamp.cdcEnabled()) {
      Op eventOp = value == null ? Op.DELETE : live ? Op.UPDATE : Op.CREATE;
      ChangeEvent event = new ChangeEvent(eventOp, new String(key, StandardCharsets.UTF_8), previous, value,
          stamp.tsMs(), group, index, events.size(), term, epoch, version, Origin.CLIENT, txn);
      long eventBytes = Outbox.sizeOf(event);
      if (!outbox.hasRoom(stamp.outboxMaxEvents(), stamp.outboxMaxBytes(), events.size() + 1,
          events.bytes() + eventBytes)) {
        throw checks.backlogFull();
      }
      events.add(event, eventBytes);
    }
    return new Staged(slot, new ShardStore.Rec(value, version, value == null ? Ttl.NONE
        : Ttl.deadline(stamp.tsMs(), ttl)), new Reply.Written(version, previous));
  }

  /**
   * A transaction: every key owned, then the compares on the applied state, then the chosen branch's ops staged in
   * order, each get reading the branch's own earlier writes first. Only when every op is staged do the records reach
   * the store and the events the outbox, so a refusal at any op (the outbox full) leaves nothing behind, and no
   * concurrent reader ever sees part of a transaction that is then rolled back.
   */
  private Reply applyTxn(Command.Txn t, long index, long term, LogStamp stamp) {
    Transactions.checkWellFormed(t, Limits.HARD_MAX_VALUE_BYTES);
    for (byte[] key : t.keys()) {
      checks.checkOwned(HashRing.position(key));
    }
    boolean succeeded = true;
    for (Command.Compare c : t.compares()) {
      succeeded &= Transactions.holds(c, store.get(c.key()), stamp.tsMs());
    }
    List<Request> ops = succeeded ? t.success() : t.failure();
    EntryEvents events = new EntryEvents(ops.size());
    // By key content: a slot's key array is compared by identity.
    java.util.Map<java.nio.ByteBuffer, Staged> staged = new java.util.LinkedHashMap<>();
    List<Reply> results = new ArrayList<>(ops.size());
    for (Request op : ops) {
      java.nio.ByteBuffer key = java.nio.ByteBuffer.wrap(Command.Txn.keyOf(op));
      Staged earlier = staged.get(key);
      ShardStore.Rec current = earlier != null ? earlier.rec() : store.get(key.array());
      if (op instanceof Query.Get g) {
        // Past its deadline at this entry's stamp, a record reads as deleted, as it does to the branch's writes.
        results.add(new Reply.Found(current == null ? null : current.liveAt(stamp.tsMs())
            ? new Entry(g.key(), current.value(), current.version(), current.expiresAtMs())
            : new Entry(g.key(), null, current.version())));
      } else {
        Staged w = stage((Command) op, current, index, term, stamp, events, true);
        staged.put(key, w);
        results.add(w.reply());
      }
    }
    staged.values().forEach(w -> store.put(w.slot(), w.rec()));
    outbox.appendAll(events.list());
    return new Reply.Txn(succeeded, results);
  }

  /**
   * The leader's expiry proposal (see {@link Command.Expire}): each key still as proposed and due by this entry's
   * stamp becomes a tombstone at this entry's version with a {@code d} event of origin {@code expiry}; any other is
   * skipped. Keys past the outbox's room are skipped too (the leader proposes them again once it drained).
   */
  private Reply expire(Command.Expire x, long index, long term, LogStamp stamp) {
    long epoch = ownership.epoch();
    long version = Versions.of(epoch, index);
    EntryEvents events = new EntryEvents(x.keys().size());
    int expired = 0;
    boolean more = false;
    for (Command.Due d : x.keys()) {
      ShardStore.Slot slot = ShardStore.slot(d.key());
      ShardStore.Rec current = store.get(slot);
      if (!ownership.ranges().contains(slot.position()) || current == null || !current.hasTtl()
          || current.version() != d.version() || current.expiresAtMs() != d.expiresAtMs()
          || current.expiresAtMs() > stamp.tsMs()) {
        continue;
      }
      if (stamp.cdcEnabled()) {
        ChangeEvent event = new ChangeEvent(Op.DELETE, new String(d.key(), StandardCharsets.UTF_8), current.value(),
            null, stamp.tsMs(), group, index, events.size(), term, epoch, version, Origin.EXPIRY);
        long eventBytes = Outbox.sizeOf(event);
        if (!outbox.hasRoom(stamp.outboxMaxEvents(), stamp.outboxMaxBytes(), events.size() + 1,
            events.bytes() + eventBytes)) {
          more = true;
          continue;
        }
        events.add(event, eventBytes);
      }
      store.put(slot, new ShardStore.Rec(null, version));
      expired++;
    }
    outbox.appendAll(events.list());
    return new Reply.Purged(expired, more);
  }

  /**
   * Up to {@code limit} keys this group owns whose deadline is at or before {@code nowMs}, as an expiry would name
   * them. Any thread (the leader's expiry collector): what it reads may be a moment old, which the apply check covers.
   */
  List<Command.Due> dueForExpiry(long nowMs, int limit) {
    List<Command.Due> out = new ArrayList<>();
    for (var e : store.due(nowMs, limit, ownership.ranges())) {
      out.add(new Command.Due(e.getKey().key(), e.getValue().version(), e.getValue().expiresAtMs()));
    }
    return out;
  }

  /**
   * Turns the live state into r events at {@code index}: every live key (tombstones excluded) in the store's order,
   * seq 0..N-1, with its current value and version. Nothing else changes: an r event describes a state, it is not a
   * new write. The outbox takes them all even past its bound (refusing would make a large store impossible to
   * snapshot); until the publisher drains it, client writes are then refused with CDC_BACKLOG_FULL.
   */
  private Reply publishSnapshot(long index, long term, LogStamp stamp) {
    checks.checkCdcOn(stamp);
    long epoch = ownership.epoch();
    List<ChangeEvent> events = new ArrayList<>();
    for (var e : store.all()) {
      ShardStore.Rec rec = e.getValue();
      // A key past its deadline is no longer part of the live state; its expiry's d event comes on its own.
      if (rec.liveAt(stamp.tsMs())) {
        events.add(new ChangeEvent(Op.READ, new String(e.getKey().key(), StandardCharsets.UTF_8), null, rec.value(),
            stamp.tsMs(), group, index, events.size(), term, epoch, rec.version(), Origin.SNAPSHOT));
      }
    }
    outbox.appendAll(events);
    return new Reply.SnapshotPublished(index, events.size());
  }

  /** Answers a read from the applied state ({@link ShardQueries}). */
  Reply query(Query query) {
    return ShardQueries.answer(this, query);
  }

  Exports exports() {
    return exports;
  }
}
