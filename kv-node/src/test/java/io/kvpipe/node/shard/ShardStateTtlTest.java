package io.kvpipe.node.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.Ttl;
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
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TTL in the replicated state: deadlines from the log's stamps, reads against a safe time, the leader's expiries. */
class ShardStateTtlTest {
  @TempDir
  Path dir;

  /** The replica's own clock: only reads may depend on it. */
  final AtomicLong clock = new AtomicLong(0);
  final ShardState state = new ShardState("g1", clock::get);
  long index;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static LogStamp at(long tsMs) {
    return new LogStamp(tsMs, true, 10_000, 64 << 20);
  }

  Reply apply(Command c, long tsMs) {
    return state.apply(c, ++index, 3, at(tsMs));
  }

  Reply.Written put(String k, String v, long ttlMs, long tsMs) {
    return (Reply.Written) apply(new Command.Put(b(k), b(v), Request.ANY_VERSION, ttlMs), tsMs);
  }

  Entry get(String k) {
    return ((Reply.Found) state.query(new Query.Get(b(k)))).entry();
  }

  List<ChangeEvent> events() {
    return state.outbox().pendingAfter(0, 10_000);
  }

  @Test
  void aPutsDeadlineIsTheLeadersStampPlusItsTtlAndReadsHideTheKeyFromThen() {
    put("k", "v", 5_000, 1_000);
    clock.set(1_000);
    Entry live = get("k");
    assertThat(live.value()).isEqualTo(b("v"));
    assertThat(live.expiresAtMs()).isEqualTo(6_000);
    clock.set(5_999);
    assertThat(get("k").deleted()).isFalse();
    clock.set(6_000);
    Entry gone = get("k");
    assertThat(gone.deleted()).isTrue();
    assertThat(gone.version()).isEqualTo(live.version());
    // Every read path hides it; only the migration's fallback read gives the record as stored.
    assertThat(((Reply.FoundMany) state.query(new Query.BatchGet(List.of(b("k"))))).entries().get(0).deleted())
        .isTrue();
    Reply.KeyPage page = (Reply.KeyPage) state.query(new Query.KeyScan(b(""), null, 10, true, 1 << 20));
    assertThat(page.entries()).singleElement().satisfies(e -> assertThat(e.deleted()).isTrue());
    Entry raw = ((Reply.Found) state.query(new Query.FallbackGet(b("k")))).entry();
    assertThat(raw.value()).isEqualTo(b("v"));
    assertThat(raw.expiresAtMs()).isEqualTo(6_000);
  }

  @Test
  void aReplicaWhoseClockIsBehindStillHidesWhatTheNewestAppliedStampSaysIsPastItsDeadline() {
    put("k", "v", 100, 1_000);
    clock.set(0); // far behind the leader
    assertThat(get("k").deleted()).isFalse();
    apply(Command.Put.unconditional(b("other"), b("x")), 1_100); // the log's time moves on
    assertThat(state.readTimeMs()).isEqualTo(1_100);
    assertThat(get("k").deleted()).isTrue();
  }

  @Test
  void theExpiryIndexGivesDueKeysByDeadlineBoundedAndOnlyWhenDue() {
    put("late", "v", 3_000, 1_000);
    put("early", "v", 1_000, 1_000);
    put("mid", "v", 2_000, 1_000);
    put("forever", "v", Ttl.NONE, 1_000);
    assertThat(state.dueForExpiry(1_999, 10)).isEmpty();
    assertThat(state.dueForExpiry(4_000, 10)).extracting(d -> new String(d.key(), StandardCharsets.UTF_8))
        .containsExactly("early", "mid", "late");
    assertThat(state.dueForExpiry(4_000, 2)).hasSize(2);
    assertThat(state.dueForExpiry(3_999, 10)).hasSize(2);
    assertThat(state.store().withTtl()).isEqualTo(3);
    assertThat(state.store().earliestDeadline()).isEqualTo(2_000);
  }

  @Test
  void anExpiryDeletesOnceWithADEventMarkedExpiry() {
    Reply.Written w = put("k", "v", 1_000, 1_000);
    List<Command.Due> due = state.dueForExpiry(2_000, 10);
    Reply.Purged r = (Reply.Purged) apply(new Command.Expire(due), 2_000);
    assertThat(r.removed()).isEqualTo(1);
    ChangeEvent d = events().get(events().size() - 1);
    assertThat(d.op()).isEqualTo(Op.DELETE);
    assertThat(d.origin()).isEqualTo(Origin.EXPIRY);
    assertThat(d.before()).isEqualTo(b("v"));
    assertThat(d.version()).isGreaterThan(w.version()).isEqualTo(Versions.of(1, index));
    assertThat(d.tsMs()).isEqualTo(2_000);
    Entry tomb = ((Reply.Found) state.query(new Query.FallbackGet(b("k")))).entry();
    assertThat(tomb.deleted()).isTrue();
    assertThat(tomb.version()).isEqualTo(d.version());
    assertThat(state.store().withTtl()).isZero();
    // The same proposal again (a resend, a new leader's repeat) deletes nothing and emits nothing.
    int before = events().size();
    assertThat(((Reply.Purged) apply(new Command.Expire(due), 2_500)).removed()).isZero();
    assertThat(events()).hasSize(before);
    assertThat(state.dueForExpiry(10_000, 10)).isEmpty();
  }

  @Test
  void aStaleExpiryNeverDeletesAKeyRePutWithANewTtlOrWithoutOne() {
    put("a", "1", 1_000, 1_000);
    put("b", "1", 1_000, 1_000);
    List<Command.Due> stale = state.dueForExpiry(2_000, 10);
    assertThat(stale).hasSize(2);
    put("a", "2", 60_000, 1_500); // new TTL before the old deadline
    put("b", "2", Ttl.NONE, 1_500); // a put without TTL clears it, as Redis SET does
    int before = events().size();
    assertThat(((Reply.Purged) apply(new Command.Expire(stale), 2_000)).removed()).isZero();
    assertThat(events()).hasSize(before);
    clock.set(2_000);
    assertThat(get("a").value()).isEqualTo(b("2"));
    assertThat(get("a").expiresAtMs()).isEqualTo(61_500);
    assertThat(get("b").value()).isEqualTo(b("2"));
    assertThat(get("b").hasTtl()).isFalse();
    assertThat(state.dueForExpiry(Long.MAX_VALUE - 1, 10)).extracting(Command.Due::expiresAtMs)
        .containsExactly(61_500L);
  }

  @Test
  void anExpiryStampedBeforeTheDeadlineSkipsTheKey() {
    put("k", "v", 1_000, 1_000);
    List<Command.Due> due = state.dueForExpiry(2_000, 10);
    // A new leader whose clock is behind the old one's stamps the entry before the deadline.
    assertThat(((Reply.Purged) apply(new Command.Expire(due), 1_999)).removed()).isZero();
    assertThat(((Reply.Found) state.query(new Query.FallbackGet(b("k")))).entry().deleted()).isFalse();
  }

  /**
   * Review finding: a new leader whose clock is behind the old one's stamped writes that judged a key by that older
   * time, so a key every read already hid came back (EXPIRE/PERSIST returned its old value and kept it).
   */
  @Test
  void aWriteStampedByAClockBehindAnAppliedStampDoesNotBringBackAKeyReadsAlreadyHide() {
    put("k", "old", 1_000, 10_000); // deadline 11_000
    put("other", "x", Ttl.NONE, 12_000); // the old leader, ahead
    clock.set(10_500); // this replica, the new leader, 1.5 s behind
    assertThat(get("k") == null || get("k").deleted()).as("reads hide k: an applied stamp is past its deadline")
        .isTrue();
    Reply r = apply(new Command.SetTtl(b("k"), Ttl.NONE, Request.ANY_VERSION), 10_500);
    assertThat(r).as("PERSIST of a key past its deadline").isInstanceOf(Reply.Failure.class);
    assertThat(get("k") == null || get("k").deleted()).as("k stays gone").isTrue();
    // A deadline set by a behind stamp counts from the time already applied, not from the earlier clock.
    assertThat(put("n", "v", 1_000, 10_500).version()).isPositive();
    assertThat(get("n").expiresAtMs()).isEqualTo(13_000);
  }

  @Test
  void setTtlChangesOrRemovesTheDeadlineAsANewVersionKeepingTheValue() {
    Reply.Written w = put("k", "v", 1_000, 1_000);
    List<Command.Due> stale = state.dueForExpiry(2_000, 10);
    Reply.Written persisted = (Reply.Written) apply(new Command.SetTtl(b("k"), Ttl.NONE, w.version()), 1_500);
    assertThat(persisted.version()).isGreaterThan(w.version());
    assertThat(persisted.previous()).isEqualTo(b("v"));
    ChangeEvent u = events().get(events().size() - 1);
    assertThat(u.op()).isEqualTo(Op.UPDATE);
    assertThat(u.before()).isEqualTo(b("v"));
    assertThat(u.after()).isEqualTo(b("v"));
    assertThat(((Reply.Purged) apply(new Command.Expire(stale), 2_000)).removed()).isZero();
    clock.set(5_000);
    assertThat(get("k").value()).isEqualTo(b("v"));
    assertThat(get("k").hasTtl()).isFalse();
    apply(new Command.SetTtl(b("k"), 500, Request.ANY_VERSION), 5_000);
    assertThat(get("k").expiresAtMs()).isEqualTo(5_500);
    // A CAS on an outdated version, or a key without a live value, changes nothing.
    assertThat(apply(new Command.SetTtl(b("k"), 100, w.version()), 5_100)).isInstanceOfSatisfying(Reply.Failure.class,
        f -> assertThat(f.code()).isEqualTo(ErrorCode.VERSION_MISMATCH));
    assertThat(apply(new Command.SetTtl(b("nope"), 100, Request.ANY_VERSION), 5_100))
        .isInstanceOfSatisfying(Reply.Failure.class, f -> assertThat(f.code()).isEqualTo(ErrorCode.NOT_FOUND));
    // Past its deadline (by the entry's stamp), the key has no live value to give a TTL to.
    assertThat(apply(new Command.SetTtl(b("k"), 100, Request.ANY_VERSION), 5_500))
        .isInstanceOfSatisfying(Reply.Failure.class, f -> assertThat(f.code()).isEqualTo(ErrorCode.NOT_FOUND));
  }

  @Test
  void aWriteAfterTheDeadlineSeesNoLiveValueEvenBeforeTheExpiryIsApplied() {
    put("k", "old", 1_000, 1_000);
    // Create-only (If-None-Match: *) succeeds once the key is past its deadline by the entry's stamp.
    Reply.Written w = (Reply.Written) apply(new Command.Put(b("k"), b("new"), Versions.NONE), 2_000);
    assertThat(w.previous()).isNull();
    ChangeEvent c = events().get(events().size() - 1);
    assertThat(c.op()).isEqualTo(Op.CREATE);
    assertThat(c.before()).isNull();
    assertThat(state.dueForExpiry(Long.MAX_VALUE - 1, 10)).isEmpty();
  }

  @Test
  void badTtlsAreRefusedBeforeTheLog() {
    for (long bad : new long[] {-1, Ttl.MAX_MS + 1, Long.MIN_VALUE}) {
      assertThatThrownBy(() -> state.validate(new Command.Put(b("k"), b("v"), Request.ANY_VERSION, bad), 1024,
          at(0))).isInstanceOfSatisfying(KvException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST));
      assertThatThrownBy(() -> state.validate(new Command.SetTtl(b("k"), bad, Request.ANY_VERSION), 1024, at(0)))
          .isInstanceOf(KvException.class);
    }
  }

  @Test
  void aTtlOutOfRangeInTheLogIsRefusedAtApplyAndChangesNothing() {
    int before = events().size();
    assertThat(apply(new Command.Put(b("k"), b("v"), Request.ANY_VERSION, -5), 1_000))
        .isInstanceOfSatisfying(Reply.Failure.class, f -> assertThat(f.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST));
    assertThat(((Reply.Found) state.query(new Query.FallbackGet(b("k")))).entry()).isNull();
    assertThat(events()).hasSize(before);
  }

  @Test
  void replicasWithDifferentClocksApplyingOneLogReachTheSameState() {
    ShardState other = new ShardState("g1", () -> 999_999_999L);
    List<Command> log = List.of(
        new Command.Put(b("a"), b("1"), Request.ANY_VERSION, 500),
        new Command.Put(b("b"), b("1"), Request.ANY_VERSION, 5_000),
        new Command.Put(b("c"), b("1"), Request.ANY_VERSION, 500),
        new Command.Expire(List.of(new Command.Due(b("a"), Versions.of(1, 1), 1_500),
            new Command.Due(b("c"), Versions.of(1, 3), 1_500))),
        new Command.SetTtl(b("b"), Ttl.NONE, Request.ANY_VERSION),
        new Command.Put(b("c"), b("2"), Versions.NONE, 100));
    long[] stamps = {1_000, 1_000, 1_000, 1_600, 1_700, 1_800};
    for (int i = 0; i < log.size(); i++) {
      state.apply(log.get(i), i + 1, 1, at(stamps[i]));
      other.apply(log.get(i), i + 1, 1, at(stamps[i]));
    }
    assertThat(dump(other)).isEqualTo(dump(state));
    assertThat(other.outbox().pendingAfter(0, 100)).isEqualTo(state.outbox().pendingAfter(0, 100));
    assertThat(state.outbox().pendingAfter(0, 100)).filteredOn(e -> e.origin() == Origin.EXPIRY)
        .extracting(ChangeEvent::key).containsExactly("a", "c");
  }

  static List<String> dump(ShardState s) {
    List<String> out = new ArrayList<>();
    s.store().all().forEach(e -> out.add(new String(e.getKey().key(), StandardCharsets.UTF_8) + "="
        + (e.getValue().value() == null ? "-" : new String(e.getValue().value(), StandardCharsets.UTF_8)) + "@"
        + e.getValue().version() + "/" + e.getValue().expiresAtMs()));
    return out;
  }

  @Test
  void snapshotsKeepDeadlinesTheIndexAndTheNewestStamp() throws IOException {
    put("k", "v", 5_000, 1_000);
    put("p", "v", Ttl.NONE, 1_200);
    apply(new Command.Delete(b("p"), Request.ANY_VERSION), 1_300);
    File f = dir.resolve("snapshot.3_3").toFile();
    SnapshotFile.write(state, 3, index, f);
    ShardState copy = SnapshotFile.read(f).state();
    assertThat(dump(copy)).isEqualTo(dump(state));
    assertThat(copy.newestStampMs()).isEqualTo(1_300);
    assertThat(copy.dueForExpiry(6_000, 10)).extracting(Command.Due::expiresAtMs).containsExactly(6_000L);
  }

  @Test
  void aGroupNeverExpiresAKeyItNoLongerOwnsAndAMigrationCopyCarriesTheDeadline() {
    put("k", "v", 1_000, 1_000);
    long pos = HashRing.position(b("k"));
    HashRanges without = HashRanges.FULL.minus(HashRanges.of(List.of(new HashRange(pos, pos + 1))));
    apply(new Command.SetOwnership(2, without, "m"), 1_100);
    assertThat(state.dueForExpiry(5_000, 10)).isEmpty();
    Entry record = ((Reply.Found) state.query(new Query.FallbackGet(b("k")))).entry();
    assertThat(((Reply.Purged) apply(new Command.Expire(List.of(new Command.Due(b("k"), record.version(), 2_000))),
        5_000)).removed()).isZero();

    ShardState target = new ShardState("g2", () -> 0L);
    target.apply(new Command.SetOwnership(2, HashRanges.FULL, "m"), 1, 1, at(1_200));
    target.apply(new Command.MigrateIn(List.of(record), new MigrationToken("m", 2)), 2, 1, at(1_300));
    assertThat(target.dueForExpiry(1_999, 10)).isEmpty();
    assertThat(target.dueForExpiry(2_000, 10)).singleElement()
        .satisfies(d -> assertThat(d.version()).isEqualTo(record.version()));
    Reply.Purged r = (Reply.Purged) target.apply(new Command.Expire(target.dueForExpiry(2_000, 10)), 3, 1, at(2_000));
    assertThat(r.removed()).isEqualTo(1);
    assertThat(target.outbox().pendingAfter(0, 10)).extracting(ChangeEvent::origin)
        .containsExactly(Origin.MIGRATION, Origin.EXPIRY);
  }

  @Test
  void purgingMovedRecordsAlsoDropsThemFromTheExpiryIndex() {
    put("k", "v", 1_000, 1_000);
    long pos = HashRing.position(b("k"));
    HashRanges without = HashRanges.FULL.minus(HashRanges.of(List.of(new HashRange(pos, pos + 1))));
    apply(new Command.SetOwnership(2, without, "m"), 1_100);
    apply(new Command.PurgeUnowned(10, new MigrationToken("m", 2)), 1_200);
    assertThat(state.store().withTtl()).isZero();
  }
}
