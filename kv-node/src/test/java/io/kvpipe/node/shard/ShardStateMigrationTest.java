package io.kvpipe.node.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.Limits;
import io.kvpipe.common.Versions;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.MigrationToken;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bulk-load and migration commands of the shard state machine: PutAll, MigrateIn, PurgeUnowned, CollectTombstones. */
class ShardStateMigrationTest {
  static final LogStamp CDC = new LogStamp(1000, true, 100, 1 << 20);
  static final LogStamp NO_CDC = new LogStamp(1000, false, 100, 1 << 20);
  static final HashRanges LOW = HashRanges.of(List.of(new HashRange(0, HashRange.RING_SIZE / 2)));
  static final HashRanges HIGH = HashRanges.FULL.minus(LOW);
  static final MigrationToken M = new MigrationToken("m", 2);

  @TempDir
  Path dir;

  final ShardState state = new ShardState("g1");
  long index;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String s(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  /** {@code n} keys with the given prefix whose ring positions lie in {@code ranges}. */
  static List<String> keysIn(HashRanges ranges, String prefix, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; out.size() < n; i++) {
      if (ranges.contains(HashRing.position(b(prefix + i)))) {
        out.add(prefix + i);
      }
    }
    return out;
  }

  Reply apply(Command c, LogStamp stamp) {
    return state.apply(c, ++index, 7, stamp);
  }

  Reply apply(Command c) {
    return apply(c, CDC);
  }

  @Test
  void migrationCommandsAreTakenOnlyFromTheMigrationThatFencedTheGroupAndCopiesStopAtItsCollection() {
    MigrationToken m1 = new MigrationToken("m1", 2);
    Command.MigrateIn copy = new Command.MigrateIn(List.of(copy("k", "v", Versions.of(1, 5))), m1);
    // Before any fence, and for requests without a token (an older coordinator), nothing is taken.
    assertThatThrownBy(() -> state.validate(copy, 1024, CDC)).isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
    apply(new Command.SetOwnership(2, HashRanges.FULL, "m1"));
    assertThatThrownBy(() -> state.validate(new Command.MigrateIn(copy.entries()), 1024, CDC))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
    state.validate(copy, 1024, CDC);
    assertThat(apply(copy)).isEqualTo(new Reply.Migrated(1, 0));
    assertFailure(apply(new Command.MigrateIn(copy.entries(), new MigrationToken("m0", 2))), ErrorCode.CONFLICT);
    assertFailure(apply(new Command.MigrateIn(copy.entries(), new MigrationToken("m1", 1))), ErrorCode.CONFLICT);
    assertFailure(apply(new Command.PurgeUnowned(10, new MigrationToken("m0", 2))), ErrorCode.CONFLICT);
    // Another migration cannot take the group over at the same epoch.
    assertFailure(apply(new Command.SetOwnership(2, HashRanges.FULL, "m9")), ErrorCode.CONFLICT);

    assertThat(apply(new Command.CollectTombstones(HashRanges.FULL, 10, m1))).isEqualTo(new Reply.Purged(0, false));
    assertFailure(apply(copy), ErrorCode.CONFLICT);
    assertThat(apply(new Command.PurgeUnowned(10, m1))).isEqualTo(new Reply.Purged(0, false));
    apply(new Command.SetOwnership(2, HashRanges.FULL, "m1")); // a resumed fence does not reopen the copies
    assertFailure(apply(copy), ErrorCode.CONFLICT);

    MigrationToken m2 = new MigrationToken("m2", 3);
    apply(new Command.SetOwnership(3, HashRanges.FULL, "m2"));
    assertThat(apply(new Command.MigrateIn(List.of(copy("k2", "v", Versions.of(1, 6))), m2)))
        .isEqualTo(new Reply.Migrated(1, 0));
    assertFailure(apply(copy), ErrorCode.CONFLICT);
  }

  Entry record(String key) {
    return ((Reply.Found) state.query(new Query.FallbackGet(b(key)))).entry();
  }

  static Command.PutAll putAll(String... keyValues) {
    List<Command.KeyValue> pairs = new ArrayList<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      pairs.add(new Command.KeyValue(b(keyValues[i]), b(keyValues[i + 1])));
    }
    return new Command.PutAll(pairs);
  }

  static Entry copy(String key, String value, long version) {
    return new Entry(b(key), value == null ? null : b(value), version);
  }

  static void assertFailure(Reply r, ErrorCode code) {
    assertThat(r).isInstanceOfSatisfying(Reply.Failure.class, f -> assertThat(f.code()).as(f.message()).isEqualTo(code));
  }

  void assertRefused(Command c, int maxValueBytes, LogStamp stamp, ErrorCode code) {
    assertThatThrownBy(() -> state.validate(c, maxValueBytes, stamp)).as(c.toString())
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).as(e.getMessage()).isEqualTo(code));
  }

  /** Everything a refused command must leave alone: every record, the outbox and the ownership. */
  record Fingerprint(List<String> records, List<ChangeEvent> events, Ownership ownership) {}

  Fingerprint fingerprint() {
    return fingerprint(state);
  }

  static Fingerprint fingerprint(ShardState st) {
    List<String> records = new ArrayList<>();
    for (var e : st.store().all()) {
      records.add(s(e.getKey().key()) + "=" + s(e.getValue().value()) + "@" + e.getValue().version());
    }
    return new Fingerprint(records, st.outbox().all(), st.ownership());
  }

  // ---- PutAll ----

  @Test
  void putAllWritesEveryPairAtOneVersionAsClientEventsInOrder() {
    apply(Command.Put.unconditional(b("old"), b("before")));
    apply(new Command.Delete(b("gone"), Request.ANY_VERSION));
    apply(new Command.ConfirmPublished(index));

    Reply.Written w = (Reply.Written) apply(putAll("new", "n1", "old", "o2", "gone", "g3"));
    assertThat(w.version()).isEqualTo(Versions.of(1, index));
    assertThat(w.previous()).isNull();
    for (String k : List.of("new", "old", "gone")) {
      assertThat(record(k).version()).isEqualTo(w.version());
    }
    assertThat(s(record("old").value())).isEqualTo("o2");
    assertThat(s(record("gone").value())).isEqualTo("g3");

    List<ChangeEvent> events = state.outbox().all();
    assertThat(events).extracting(ChangeEvent::key).containsExactly("new", "old", "gone");
    assertThat(events).extracting(ChangeEvent::op).containsExactly(Op.CREATE, Op.UPDATE, Op.CREATE);
    assertThat(events).extracting(ChangeEvent::seq).containsExactly(0, 1, 2);
    assertThat(events).allSatisfy(e -> {
      assertThat(e.logIndex()).isEqualTo(index);
      assertThat(e.version()).isEqualTo(w.version());
      assertThat(e.origin()).isEqualTo(Origin.CLIENT);
      assertThat(e.term()).isEqualTo(7);
      assertThat(e.epoch()).isEqualTo(1);
      assertThat(e.group()).isEqualTo("g1");
    });
    assertThat(s(events.get(1).before())).isEqualTo("before");
    assertThat(events.get(2).before()).isNull();
    assertThat(events).extracting(e -> s(e.after())).containsExactly("n1", "o2", "g3");
    // The next single write is newer than the whole load.
    assertThat(((Reply.Written) apply(Command.Put.unconditional(b("new"), b("x")))).version())
        .isGreaterThan(w.version());
  }

  @Test
  void putAllWithCdcOffRecordsNoEvents() {
    assertThat(apply(putAll("a", "1", "b", "2"), NO_CDC)).isInstanceOf(Reply.Written.class);
    assertThat(state.outbox().size()).isZero();
    assertThat(state.store().size()).isEqualTo(2);
  }

  @Test
  void putAllIsAllOrNothing() {
    apply(new Command.SetOwnership(2, LOW));
    List<String> owned = keysIn(LOW, "p", 3);
    String foreign = keysIn(HIGH, "p", 1).get(0);
    apply(Command.Put.unconditional(b(owned.get(0)), b("keep")));
    Fingerprint before = fingerprint();

    Command.PutAll wrongGroup = putAll(owned.get(0), "x", owned.get(1), "y", foreign, "z");
    assertRefused(wrongGroup, 100, CDC, ErrorCode.WRONG_GROUP);
    assertFailure(apply(wrongGroup), ErrorCode.WRONG_GROUP);

    Command.PutAll twice = putAll(owned.get(1), "x", owned.get(2), "y", owned.get(1), "z");
    assertRefused(twice, 100, CDC, ErrorCode.MALFORMED_REQUEST);
    assertFailure(apply(twice), ErrorCode.MALFORMED_REQUEST);

    Command.PutAll badKey = new Command.PutAll(List.of(new Command.KeyValue(b(owned.get(1)), b("x")),
        new Command.KeyValue(new byte[] {(byte) 0xC3, 0x28}, b("y"))));
    assertRefused(badKey, 100, CDC, ErrorCode.INVALID_KEY);
    assertFailure(apply(badKey), ErrorCode.INVALID_KEY);
    assertRefused(new Command.PutAll(List.of(new Command.KeyValue(new byte[0], b("y")))), 100, CDC,
        ErrorCode.INVALID_KEY);
    assertRefused(new Command.PutAll(List.of(new Command.KeyValue(new byte[513], b("y")))), 100, CDC,
        ErrorCode.INVALID_KEY);

    Command.PutAll bigValue = new Command.PutAll(List.of(new Command.KeyValue(b(owned.get(1)), new byte[101])));
    assertRefused(bigValue, 100, CDC, ErrorCode.VALUE_TOO_LARGE);

    List<Command.KeyValue> tooMany = new ArrayList<>();
    for (String k : keysIn(LOW, "many", Query.MAX_ITEMS + 1)) {
      tooMany.add(new Command.KeyValue(b(k), b("v")));
    }
    assertRefused(new Command.PutAll(tooMany), 100, NO_CDC, ErrorCode.MALFORMED_REQUEST);
    assertFailure(apply(new Command.PutAll(tooMany), NO_CDC), ErrorCode.MALFORMED_REQUEST);

    // A request bigger than one bulk entry may be is refused whole: the caller splits its batches.
    List<Command.KeyValue> heavy = new ArrayList<>();
    for (String k : keysIn(LOW, "heavy", 4)) {
      heavy.add(new Command.KeyValue(b(k), new byte[1 << 20]));
    }
    assertRefused(new Command.PutAll(heavy), 1 << 20, NO_CDC, ErrorCode.VALUE_TOO_LARGE);

    assertThat(fingerprint()).isEqualTo(before);
  }

  @Test
  void putAllNeedsOutboxRoomForEveryEvent() {
    LogStamp tight = new LogStamp(5, true, 4, 1 << 20);
    apply(Command.Put.unconditional(b("first"), b("v")), tight);
    Fingerprint before = fingerprint();
    Command.PutAll four = putAll("a", "1", "b", "2", "c", "3", "d", "4");
    assertRefused(four, 100, tight, ErrorCode.CDC_BACKLOG_FULL);
    assertFailure(apply(four, tight), ErrorCode.CDC_BACKLOG_FULL);
    assertThat(fingerprint()).isEqualTo(before);
    assertThat(apply(putAll("a", "1", "b", "2", "c", "3"), tight)).isInstanceOf(Reply.Written.class);
    assertThat(state.outbox().size()).isEqualTo(4);

    // The byte bound counts every event, the replaced values included.
    ShardState small = new ShardState("g2");
    LogStamp byteBound = new LogStamp(5, true, 1000, 400);
    small.apply(Command.Put.unconditional(b("a"), new byte[100]), 1, 1, byteBound);
    Command.PutAll overBytes = new Command.PutAll(List.of(new Command.KeyValue(b("a"), new byte[100]),
        new Command.KeyValue(b("b"), new byte[10])));
    assertFailure(small.apply(overBytes, 2, 1, byteBound), ErrorCode.CDC_BACKLOG_FULL);
    assertThat(small.outbox().size()).isEqualTo(1);
  }

  // ---- MigrateIn ----

  @Test
  void migrateInTakesRecordsThisGroupHasNoNewerVersionOf() {
    apply(new Command.SetOwnership(3, HashRanges.FULL));
    long v1 = Versions.of(2, 10);
    long v2 = Versions.of(2, 20);
    apply(Command.Put.unconditional(b("newer-here"), b("mine")));                      // version (3, 2)
    apply(new Command.Delete(b("deleted-here"), Request.ANY_VERSION));                 // tombstone (3, 3)
    apply(new Command.MigrateIn(List.of(copy("older-here", "stale", v1), copy("same", "s", v2))));
    apply(new Command.ConfirmPublished(index));

    Reply.Migrated r = (Reply.Migrated) apply(new Command.MigrateIn(List.of(
        copy("absent", "a", v2),                         // taken: c
        copy("newer-here", "theirs", v2),                // skipped: a write here after the fence
        copy("deleted-here", "resurrect?", v2),          // skipped: the delete here is newer
        copy("older-here", "fresh", v2),                 // taken: u
        copy("same", "s", v2),                           // skipped: already copied (idempotent)
        copy("tomb-absent", null, v1),                   // taken: d with no before
        copy("older-here", null, Versions.of(2, 30))))); // taken: d, on top of the copy just taken
    assertThat(r).isEqualTo(new Reply.Migrated(4, 3));

    assertThat(s(record("absent").value())).isEqualTo("a");
    assertThat(record("absent").version()).isEqualTo(v2);
    assertThat(s(record("newer-here").value())).isEqualTo("mine");
    assertThat(Versions.epoch(record("newer-here").version())).isEqualTo(3);
    assertThat(record("deleted-here").deleted()).isTrue();
    assertThat(Versions.epoch(record("deleted-here").version())).isEqualTo(3);
    assertThat(record("older-here").deleted()).isTrue();
    assertThat(record("older-here").version()).isEqualTo(Versions.of(2, 30));
    assertThat(record("tomb-absent").deleted()).isTrue();
    assertThat(record("tomb-absent").version()).isEqualTo(v1);

    List<ChangeEvent> events = state.outbox().all();
    assertThat(events).extracting(ChangeEvent::key).containsExactly("absent", "older-here", "tomb-absent",
        "older-here");
    assertThat(events).extracting(ChangeEvent::op).containsExactly(Op.CREATE, Op.UPDATE, Op.DELETE, Op.DELETE);
    assertThat(events).extracting(ChangeEvent::seq).containsExactly(0, 1, 2, 3);
    assertThat(events).extracting(ChangeEvent::version).containsExactly(v2, v2, v1, Versions.of(2, 30));
    assertThat(events).extracting(e -> s(e.before())).containsExactly(null, "stale", null, "fresh");
    assertThat(events).allSatisfy(e -> {
      assertThat(e.origin()).isEqualTo(Origin.MIGRATION);
      assertThat(e.logIndex()).isEqualTo(index);
      assertThat(e.epoch()).isEqualTo(3);
    });

    // A write here after the copy is newer than anything copied.
    long w = ((Reply.Written) apply(Command.Put.unconditional(b("absent"), b("z")))).version();
    assertThat(w).isGreaterThan(v2);
  }

  @Test
  void migrateInOfNothingNewChangesNothing() {
    apply(new Command.SetOwnership(2, HashRanges.FULL));
    apply(new Command.MigrateIn(List.of(copy("a", "1", 5), copy("b", null, 6))));
    Fingerprint before = fingerprint();
    assertThat(apply(new Command.MigrateIn(List.of(copy("a", "0", 4), copy("b", "1", 6)))))
        .isEqualTo(new Reply.Migrated(0, 2));
    assertThat(apply(new Command.MigrateIn(List.of())))
        .isEqualTo(new Reply.Migrated(0, 0));
    assertThat(fingerprint()).isEqualTo(before);
  }

  @Test
  void migrateInRefusesWholeWhenAnyKeyIsNotOwned() {
    apply(new Command.SetOwnership(2, LOW, M.migrationId()));
    List<String> owned = keysIn(LOW, "m", 2);
    String foreign = keysIn(HIGH, "m", 1).get(0);
    Fingerprint before = fingerprint();
    Command.MigrateIn m = new Command.MigrateIn(List.of(copy(owned.get(0), "a", 5), copy(foreign, "b", 5),
        copy(owned.get(1), "c", 5)), M);
    assertRefused(m, 100, CDC, ErrorCode.WRONG_GROUP);
    assertFailure(apply(m), ErrorCode.WRONG_GROUP);
    assertThat(fingerprint()).isEqualTo(before);
  }

  @Test
  void migrateInWaitsWhileTheOutboxIsOverHalfFull() {
    LogStamp tight = new LogStamp(5, true, 10, 1 << 20);
    apply(new Command.SetOwnership(2, HashRanges.FULL, M.migrationId()), tight);
    for (int i = 0; i < 5; i++) {
      apply(Command.Put.unconditional(b("w" + i), b("v")), tight);
    }
    // Exactly half: copies still go, and may take the outbox past half (never refused half-way).
    List<Entry> batch = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      batch.add(copy("c" + i, "v", 7));
    }
    assertThat(apply(new Command.MigrateIn(batch), tight)).isEqualTo(new Reply.Migrated(4, 0));
    assertThat(state.outbox().size()).isEqualTo(9);
    Fingerprint before = fingerprint();
    Command.MigrateIn next = new Command.MigrateIn(List.of(copy("c9", "v", 7)), M);
    assertRefused(next, 100, tight, ErrorCode.CDC_BACKLOG_FULL);
    assertFailure(apply(next, tight), ErrorCode.CDC_BACKLOG_FULL);
    assertThat(fingerprint()).isEqualTo(before);
    // Client writes still have the room the copies left them.
    assertThat(apply(Command.Put.unconditional(b("client"), b("v")), tight)).isInstanceOf(Reply.Written.class);
    apply(new Command.ConfirmPublished(index), tight);
    assertThat(apply(next, tight)).isEqualTo(new Reply.Migrated(1, 0));

    // The byte bound counts the same way.
    ShardState bytesBound = new ShardState("g2");
    LogStamp small = new LogStamp(5, true, 1000, 400);
    bytesBound.apply(Command.Put.unconditional(b("big"), new byte[150]), 1, 1, small);
    assertFailure(bytesBound.apply(new Command.MigrateIn(List.of(copy("c", "v", 1))), 2, 1, small),
        ErrorCode.CDC_BACKLOG_FULL);
    // Without CDC there is no outbox to protect.
    assertThat(bytesBound.apply(new Command.MigrateIn(List.of(copy("c", "v", 1))), 3, 1, NO_CDC))
        .isEqualTo(new Reply.Migrated(1, 0));
  }

  @Test
  void migrateInRefusesBadRecordsAndChangesNothing() {
    apply(new Command.SetOwnership(2, HashRanges.FULL, M.migrationId()));
    apply(Command.Put.unconditional(b("k"), b("v")));
    Fingerprint before = fingerprint();
    record Case(List<Entry> entries, ErrorCode code) {}
    List<Case> cases = List.of(
        new Case(List.of(copy("a", "1", 5), copy("b", "2", 0)), ErrorCode.MALFORMED_REQUEST),
        new Case(List.of(copy("a", "1", -3)), ErrorCode.MALFORMED_REQUEST),
        new Case(List.of(copy("a", "1", Versions.of(3, 1))), ErrorCode.CONFLICT),
        new Case(List.of(copy("a", "1", Long.MAX_VALUE)), ErrorCode.CONFLICT),
        new Case(List.of(new Entry(new byte[0], b("1"), 5)), ErrorCode.INVALID_KEY),
        new Case(List.of(new Entry(new byte[] {(byte) 0xff, 'a'}, b("1"), 5)), ErrorCode.INVALID_KEY),
        new Case(List.of(copy("a", "1", 5), new Entry(b("big"), new byte[101], 5)), ErrorCode.VALUE_TOO_LARGE));
    for (Case c : cases) {
      Command.MigrateIn m = new Command.MigrateIn(c.entries(), M);
      assertRefused(m, 100, CDC, c.code());
      if (c.code() != ErrorCode.VALUE_TOO_LARGE) { // apply knows only the hard cap
        assertFailure(apply(m), c.code());
      }
    }
    assertThat(fingerprint()).isEqualTo(before);
  }

  // ---- PurgeUnowned, CollectTombstones ----

  @Test
  void purgeUnownedRemovesRecordsOutsideOwnershipInBoundedSteps() {
    List<String> low = keysIn(LOW, "low", 20);
    List<String> high = keysIn(HIGH, "high", 25);
    for (String k : low) {
      apply(Command.Put.unconditional(b(k), b("v")));
    }
    for (String k : high) {
      apply(Command.Put.unconditional(b(k), b("v")));
    }
    apply(new Command.Delete(b(high.get(3)), Request.ANY_VERSION));
    apply(new Command.Delete(b(low.get(3)), Request.ANY_VERSION));
    apply(new Command.SetOwnership(2, LOW));
    assertThat(apply(new Command.PurgeUnowned(1))).isInstanceOf(Reply.Purged.class); // 1 of 25 gone
    int outboxBefore = state.outbox().size();

    List<Reply.Purged> steps = new ArrayList<>();
    Reply.Purged p;
    do {
      p = (Reply.Purged) apply(new Command.PurgeUnowned(10));
      steps.add(p);
    } while (p.more());
    assertThat(steps).extracting(Reply.Purged::removed).containsExactly(10, 10, 4);
    assertThat(steps).extracting(Reply.Purged::more).containsExactly(true, true, false);
    assertThat(apply(new Command.PurgeUnowned(10))).isEqualTo(new Reply.Purged(0, false));
    assertThat(state.store().size()).isEqualTo(20);
    assertThat(state.store().tombstoneCount()).isEqualTo(1);
    for (String k : high) {
      assertThat(record(k)).as(k).isNull();
    }
    for (String k : low) {
      assertThat(record(k)).as(k).isNotNull();
    }
    assertThat(state.outbox().size()).as("a purge is not a delete: no events").isEqualTo(outboxBefore);
    // An exact fit says there is nothing more.
    apply(new Command.SetOwnership(3, HashRanges.EMPTY));
    assertThat(apply(new Command.PurgeUnowned(20))).isEqualTo(new Reply.Purged(20, false));
    assertThat(state.store().size()).isZero();
  }

  @Test
  void collectTombstonesRemovesOnlyTombstonesInTheRanges() {
    List<String> low = keysIn(LOW, "low", 10);
    List<String> high = keysIn(HIGH, "high", 10);
    for (String k : low) {
      apply(new Command.Delete(b(k), Request.ANY_VERSION));
    }
    for (String k : high) {
      apply(new Command.Delete(b(k), Request.ANY_VERSION));
    }
    // Revived keys are live again and must stay.
    apply(Command.Put.unconditional(b(low.get(0)), b("back")));
    apply(new Command.MigrateIn(List.of(copy(low.get(1), "copied", Versions.of(1, index + 100)))));
    apply(new Command.SetOwnership(2, LOW)); // collection ignores ownership: it is told the ranges
    int outboxBefore = state.outbox().size();

    assertThat(apply(new Command.CollectTombstones(LOW, 5))).isEqualTo(new Reply.Purged(5, true));
    assertThat(apply(new Command.CollectTombstones(LOW, 5))).isEqualTo(new Reply.Purged(3, false));
    assertThat(apply(new Command.CollectTombstones(LOW, 5))).isEqualTo(new Reply.Purged(0, false));
    assertThat(s(record(low.get(0)).value())).isEqualTo("back");
    assertThat(s(record(low.get(1)).value())).isEqualTo("copied");
    for (String k : low.subList(2, 10)) {
      assertThat(record(k)).isNull();
    }
    for (String k : high) {
      assertThat(record(k).deleted()).isTrue();
    }
    assertThat(state.store().size()).isEqualTo(12);
    assertThat(state.store().tombstoneCount()).isEqualTo(10);
    assertThat(state.outbox().size()).isEqualTo(outboxBefore);
    assertThat(apply(new Command.CollectTombstones(HashRanges.FULL, 100_000))).isEqualTo(new Reply.Purged(10, false));
    assertThat(state.store().tombstoneCount()).isZero();
  }

  @Test
  void removalLimitsAreChecked() {
    apply(new Command.Delete(b("t"), Request.ANY_VERSION));
    apply(new Command.SetOwnership(2, HashRanges.EMPTY, M.migrationId()));
    Fingerprint before = fingerprint();
    for (int limit : new int[] {0, -1, ShardState.MAX_REMOVALS + 1, Integer.MIN_VALUE}) {
      for (Command c : List.of(new Command.PurgeUnowned(limit, M), new Command.CollectTombstones(HashRanges.FULL,
          limit, M))) {
        assertRefused(c, 100, CDC, ErrorCode.MALFORMED_REQUEST);
        assertFailure(apply(c), ErrorCode.MALFORMED_REQUEST);
      }
    }
    assertThat(fingerprint()).isEqualTo(before);
  }

  // ---- reads ----

  @Test
  void plainReadsOfUnownedKeysAreRefusedAndTheFallbackReadAnswers() {
    String mine = keysIn(LOW, "r", 2).get(0);
    String mineAbsent = keysIn(LOW, "r", 2).get(1);
    String moved = keysIn(HIGH, "r", 1).get(0);
    apply(Command.Put.unconditional(b(mine), b("1")));
    apply(Command.Put.unconditional(b(moved), b("2")));
    apply(new Command.SetOwnership(2, LOW));

    assertThat(((Reply.Found) state.query(new Query.Get(b(mine)))).entry()).isNotNull();
    assertFailure(state.query(new Query.Get(b(moved))), ErrorCode.WRONG_GROUP);
    assertFailure(state.query(new Query.BatchGet(List.of(b(mine), b(moved)))), ErrorCode.WRONG_GROUP);
    assertThat(((Reply.FoundMany) state.query(new Query.BatchGet(List.of(b(mine), b(mineAbsent)))))
        .entries()).hasSize(2);
    assertThat(s(((Reply.Found) state.query(new Query.FallbackGet(b(moved)))).entry().value())).isEqualTo("2");
    assertThat(((Reply.Found) state.query(new Query.FallbackGet(b("never")))).entry()).isNull();
    assertFailure(state.query(new Query.FallbackGet(new byte[0])), ErrorCode.INVALID_KEY);
    assertThat(((Reply.ScanPage) state.query(new Query.Scan(HashRanges.FULL, null, 10))).entries()).hasSize(2);
  }

  // ---- determinism, snapshots ----

  /** A random mix of every command, applied by two replicas, and by a third restored from a snapshot midway. */
  @Test
  void replicasApplyingTheSameCommandsAgreeAndSnapshotsCarryEverything() throws IOException {
    Random random = new Random(7);
    List<Command> log = new ArrayList<>();
    long epoch = 1;
    for (int step = 0; step < 400; step++) {
      int kind = random.nextInt(10);
      String k = "k" + random.nextInt(60);
      log.add(switch (kind) {
        case 0, 1 -> Command.Put.unconditional(b(k), b("v" + step));
        case 2 -> new Command.Delete(b(k), Request.ANY_VERSION);
        case 3 -> {
          List<Command.KeyValue> pairs = new ArrayList<>();
          for (int i = 0; i < 5; i++) {
            pairs.add(new Command.KeyValue(b("bulk" + step + "-" + i), b("b" + step)));
          }
          yield new Command.PutAll(pairs);
        }
        case 4, 5 -> {
          List<Entry> entries = new ArrayList<>();
          for (int i = 0; i < 6; i++) {
            String key = "k" + random.nextInt(60);
            entries.add(copy(key, random.nextBoolean() ? null : "m" + step,
                Versions.of(Math.max(1, epoch - 1), random.nextInt(2000) + 1)));
          }
          yield new Command.MigrateIn(entries);
        }
        case 6 -> new Command.SetOwnership(++epoch, random.nextBoolean() ? LOW : HashRanges.FULL);
        case 7 -> new Command.PurgeUnowned(1 + random.nextInt(5));
        case 8 -> new Command.CollectTombstones(random.nextBoolean() ? LOW : HIGH, 1 + random.nextInt(5));
        default -> new Command.ConfirmPublished(Math.max(0, step - 20));
      });
    }
    ShardState a = new ShardState("g1");
    ShardState b = new ShardState("g1");
    List<Reply> repliesA = new ArrayList<>();
    List<Reply> repliesB = new ArrayList<>();
    ShardState restored = null;
    for (int i = 0; i < log.size(); i++) {
      LogStamp stamp = new LogStamp(i, true, 1_000, 1 << 20);
      repliesA.add(a.apply(log.get(i), i + 1, 1, stamp));
      repliesB.add(b.apply(log.get(i), i + 1, 1, stamp));
      if (restored != null) {
        restored.apply(log.get(i), i + 1, 1, stamp);
      }
      if (i == 200) {
        File f = dir.resolve("snapshot.1_201").toFile();
        SnapshotFile.write(a, 1, i + 1, f);
        restored = SnapshotFile.read(f).state();
        assertThat(fingerprint(restored)).isEqualTo(fingerprint(a));
        assertThat(restored.store().tombstoneCount()).isEqualTo(a.store().tombstoneCount());
      }
    }
    assertThat(repliesB).usingRecursiveFieldByFieldElementComparator().containsExactlyElementsOf(repliesA);
    assertThat(repliesA).filteredOn(Reply.Migrated.class::isInstance).isNotEmpty();
    assertThat(repliesA).filteredOn(r -> r instanceof Reply.Purged p && p.removed() > 0).isNotEmpty();
    assertThat(fingerprint(b)).isEqualTo(fingerprint(a));
    assertThat(fingerprint(restored)).isEqualTo(fingerprint(a));
    assertThat(restored.store().size()).isEqualTo(a.store().size()).isEqualTo(fingerprint(a).records().size());
    int tombstones = 0;
    for (var e : a.store().all()) {
      tombstones += e.getValue().live() ? 0 : 1;
    }
    assertThat(a.store().tombstoneCount()).isEqualTo(tombstones);
    assertThat(restored.store().tombstoneCount()).isEqualTo(tombstones);
    assertThat(Limits.maxBulkBytes(Limits.HARD_MAX_VALUE_BYTES)).isGreaterThan(Limits.HARD_MAX_VALUE_BYTES);
  }
}
