package io.kvpipe.node.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ShardStateTest {
  static final LogStamp CDC = new LogStamp(1000, true, 100, 1 << 20);
  static final LogStamp NO_CDC = new LogStamp(1000, false, 100, 1 << 20);

  final ShardState state = new ShardState("g1");
  long index;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  Reply apply(Command c, LogStamp stamp) {
    return state.apply(c, ++index, 7, stamp);
  }

  Reply apply(Command c) {
    return apply(c, CDC);
  }

  @Test
  void putsGetVersionsFromEpochAndIndexAndRecordChangeEvents() {
    Reply.Written w1 = (Reply.Written) apply(Command.Put.unconditional(b("k"), b("a")));
    Reply.Written w2 = (Reply.Written) apply(Command.Put.unconditional(b("k"), b("b")));
    Reply.Written w3 = (Reply.Written) apply(new Command.Delete(b("k"), Request.ANY_VERSION));
    assertThat(w1.version()).isEqualTo(Versions.of(1, 1));
    assertThat(w2.version()).isEqualTo(Versions.of(1, 2));
    assertThat(w2.previous()).isEqualTo(b("a"));
    assertThat(w3.previous()).isEqualTo(b("b"));
    List<ChangeEvent> events = state.outbox().pendingAfter(0, 10);
    assertThat(events).extracting(ChangeEvent::op).containsExactly(Op.CREATE, Op.UPDATE, Op.DELETE);
    ChangeEvent u = events.get(1);
    assertThat(u.before()).isEqualTo(b("a"));
    assertThat(u.after()).isEqualTo(b("b"));
    assertThat(u.tsMs()).isEqualTo(1000);
    assertThat(u.group()).isEqualTo("g1");
    assertThat(u.logIndex()).isEqualTo(2);
    assertThat(u.term()).isEqualTo(7);
    assertThat(u.epoch()).isEqualTo(1);
    assertThat(u.version()).isEqualTo(w2.version());
    assertThat(u.origin()).isEqualTo(Origin.CLIENT);
    // After the delete, a put creates again.
    apply(Command.Put.unconditional(b("k"), b("c")));
    assertThat(state.outbox().pendingAfter(3, 10)).extracting(ChangeEvent::op).containsExactly(Op.CREATE);
  }

  @Test
  void casMismatchChangesNothing() {
    Reply.Written w = (Reply.Written) apply(new Command.Put(b("k"), b("a"), Versions.NONE));
    Reply r = apply(new Command.Put(b("k"), b("b"), Versions.NONE));
    assertThat(r).isInstanceOfSatisfying(Reply.Failure.class,
        f -> assertThat(f.code()).isEqualTo(ErrorCode.VERSION_MISMATCH));
    assertThat(apply(new Command.Delete(b("k"), w.version() + 1))).isInstanceOf(Reply.Failure.class);
    assertThat(state.outbox().size()).isEqualTo(1);
    Entry e = ((Reply.Found) state.query(new Query.Get(b("k")))).entry();
    assertThat(e.value()).isEqualTo(b("a"));
    assertThat(e.version()).isEqualTo(w.version());
    assertThat(apply(new Command.Put(b("k"), b("b"), w.version()))).isInstanceOf(Reply.Written.class);
  }

  @Test
  void deleteOfAbsentKeyLeavesATombstoneThatExpectNoneAccepts() {
    Reply.Written d = (Reply.Written) apply(new Command.Delete(b("ghost"), Request.ANY_VERSION));
    Entry t = ((Reply.Found) state.query(new Query.Get(b("ghost")))).entry();
    assertThat(t.deleted()).isTrue();
    assertThat(t.version()).isEqualTo(d.version());
    assertThat(apply(new Command.Put(b("ghost"), b("x"), Versions.NONE))).isInstanceOf(Reply.Written.class);
  }

  @Test
  void outboxBoundRefusesWritesDeterministicallyAndConfirmFreesIt() {
    LogStamp tight = new LogStamp(5, true, 3, 1 << 20);
    for (int i = 0; i < 3; i++) {
      assertThat(apply(Command.Put.unconditional(b("k" + i), b("v")), tight)).isInstanceOf(Reply.Written.class);
    }
    Reply refused = apply(Command.Put.unconditional(b("k9"), b("v")), tight);
    assertThat(refused).isInstanceOfSatisfying(Reply.Failure.class,
        f -> assertThat(f.code()).isEqualTo(ErrorCode.CDC_BACKLOG_FULL));
    assertThat(((Reply.Found) state.query(new Query.Get(b("k9")))).entry()).isNull();
    assertThatThrownBy(() -> state.validate(Command.Put.unconditional(b("k9"), b("v")), 100, tight))
        .isInstanceOf(KvException.class).hasMessageContaining("CDC");

    Reply.Confirmed c = (Reply.Confirmed) apply(new Command.ConfirmPublished(2));
    assertThat(c.confirmedIndex()).isEqualTo(2);
    assertThat(state.outbox().size()).isEqualTo(1);
    assertThat(state.outbox().pendingAfter(0, 10)).extracting(ChangeEvent::logIndex).containsExactly(3L);
    // Confirms never move back.
    apply(new Command.ConfirmPublished(1));
    assertThat(state.outbox().confirmedIndex()).isEqualTo(2);
    assertThat(apply(Command.Put.unconditional(b("k9"), b("v")), tight)).isInstanceOf(Reply.Written.class);

    LogStamp byteBound = new LogStamp(5, true, 1000, 200);
    ShardState small = new ShardState("g2");
    assertThat(small.apply(Command.Put.unconditional(b("a"), new byte[100]), 1, 1, byteBound))
        .isInstanceOf(Reply.Written.class);
    assertThat(small.apply(Command.Put.unconditional(b("b"), new byte[100]), 2, 1, byteBound))
        .isInstanceOf(Reply.Failure.class);
  }

  @Test
  void cdcOffRecordsNothing() {
    apply(Command.Put.unconditional(b("k"), b("a")), NO_CDC);
    assertThat(state.outbox().size()).isZero();
    assertThat(((Reply.Found) state.query(new Query.Get(b("k")))).entry()).isNotNull();
  }

  @Test
  void ownershipFencesKeysAndRaisesTheVersionEpoch() {
    String inside = null;
    String outside = null;
    HashRanges low = HashRanges.of(List.of(new HashRange(0, HashRange.RING_SIZE / 2)));
    for (int i = 0; inside == null || outside == null; i++) {
      String k = "key" + i;
      if (low.contains(HashRing.position(b(k)))) {
        inside = inside == null ? k : inside;
      } else {
        outside = outside == null ? k : outside;
      }
    }
    apply(new Command.SetOwnership(3, low));
    Reply.Written w = (Reply.Written) apply(Command.Put.unconditional(b(inside), b("v")));
    assertThat(Versions.epoch(w.version())).isEqualTo(3);
    assertThat(apply(Command.Put.unconditional(b(outside), b("v")))).isInstanceOfSatisfying(Reply.Failure.class,
        f -> assertThat(f.code()).isEqualTo(ErrorCode.WRONG_GROUP));
    String out = outside;
    assertThatThrownBy(() -> state.validate(Command.Put.unconditional(b(out), b("v")), 100, CDC))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.WRONG_GROUP));
    assertThat(apply(new Command.SetOwnership(2, HashRanges.FULL))).isInstanceOfSatisfying(Reply.Failure.class,
        f -> assertThat(f.code()).isEqualTo(ErrorCode.CONFLICT));
  }

  @Test
  void validationRejectsBadKeysValuesAndVersions() {
    record Case(Command c, ErrorCode code) {}
    List<Case> cases = List.of(
        new Case(Command.Put.unconditional(new byte[0], b("v")), ErrorCode.INVALID_KEY),
        new Case(Command.Put.unconditional(new byte[513], b("v")), ErrorCode.INVALID_KEY),
        new Case(Command.Put.unconditional(new byte[] {(byte) 0xff}, b("v")), ErrorCode.INVALID_KEY),
        new Case(Command.Put.unconditional(b("k"), new byte[101]), ErrorCode.VALUE_TOO_LARGE),
        new Case(new Command.Put(b("k"), b("v"), -2), ErrorCode.MALFORMED_REQUEST),
        new Case(new Command.Delete(new byte[0], Request.ANY_VERSION), ErrorCode.INVALID_KEY),
        new Case(new Command.ConfirmPublished(-1), ErrorCode.MALFORMED_REQUEST),
        new Case(new Command.SetOwnership(0, HashRanges.FULL), ErrorCode.MALFORMED_REQUEST));
    for (Case c : cases) {
      assertThatThrownBy(() -> state.validate(c.c(), 100, CDC)).as(c.toString())
          .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(c.code()));
    }
  }

  @Test
  void scanPagesCoverEveryRecordOnceInRingOrder() {
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < 300; i++) {
      keys.add("s" + i);
      apply(Command.Put.unconditional(b("s" + i), b("v")), NO_CDC);
    }
    apply(new Command.Delete(b("s7"), Request.ANY_VERSION), NO_CDC);
    List<Entry> all = new ArrayList<>();
    io.kvpipe.common.wire.ScanCursor cursor = null;
    HashRanges twoRanges = HashRanges.of(List.of(new HashRange(0, 1L << 30), new HashRange(1L << 31, 3L << 30)));
    do {
      Reply.ScanPage page = (Reply.ScanPage) state.query(new Query.Scan(twoRanges, cursor, 7));
      all.addAll(page.entries());
      cursor = page.next();
    } while (cursor != null);
    Set<String> expected = new HashSet<>();
    for (String k : keys) {
      if (twoRanges.contains(HashRing.position(b(k)))) {
        expected.add(k);
      }
    }
    assertThat(all).extracting(Entry::keyString).containsExactlyInAnyOrderElementsOf(expected);
    for (int i = 1; i < all.size(); i++) {
      assertThat(HashRing.position(all.get(i).key())).isGreaterThanOrEqualTo(HashRing.position(all.get(i - 1).key()));
    }
    assertThat(state.query(new Query.Scan(HashRanges.FULL, null, 0))).isInstanceOf(Reply.Failure.class);
  }

  @Test
  void snapshotPublishesExactlyTheLiveKeysAtOneIndexWithTheirVersions() {
    java.util.Map<String, Reply.Written> live = new java.util.HashMap<>();
    for (int i = 0; i < 30; i++) {
      live.put("k" + i, (Reply.Written) apply(Command.Put.unconditional(b("k" + i), b("v" + i))));
    }
    live.put("k3", (Reply.Written) apply(Command.Put.unconditional(b("k3"), b("v3b"))));
    apply(new Command.Delete(b("k5"), Request.ANY_VERSION));
    apply(new Command.Delete(b("never-written"), Request.ANY_VERSION));
    live.remove("k5");
    apply(new Command.ConfirmPublished(index));
    long recordsBefore = state.store().size();

    Reply.SnapshotPublished r = (Reply.SnapshotPublished) apply(new Command.PublishSnapshot());
    assertThat(r.logIndex()).isEqualTo(index);
    assertThat(r.events()).isEqualTo(29);
    List<ChangeEvent> events = state.outbox().pendingAfter(0, 1);
    assertThat(events).hasSize(29); // one index is never split, whatever the max
    for (int i = 0; i < events.size(); i++) {
      ChangeEvent e = events.get(i);
      assertThat(e.seq()).isEqualTo(i);
      assertThat(e.logIndex()).isEqualTo(index);
      assertThat(e.op()).isEqualTo(Op.READ);
      assertThat(e.origin()).isEqualTo(Origin.SNAPSHOT);
      assertThat(e.before()).isNull();
      assertThat(e.term()).isEqualTo(7);
      assertThat(e.tsMs()).isEqualTo(1000);
      Reply.Written w = live.get(e.key());
      assertThat(w).as(e.key()).isNotNull();
      assertThat(e.version()).isEqualTo(w.version());
      Entry stored = ((Reply.Found) state.query(new Query.Get(b(e.key())))).entry();
      assertThat(e.after()).isEqualTo(stored.value());
      assertThat(stored.version()).isEqualTo(w.version()); // a snapshot changes no version
    }
    assertThat(events).extracting(ChangeEvent::key).containsExactlyInAnyOrderElementsOf(live.keySet());
    assertThat(state.store().size()).isEqualTo(recordsBefore);
    // The next write's version is from its own index, as if the snapshot entry were any other entry.
    Reply.Written next = (Reply.Written) apply(Command.Put.unconditional(b("k0"), b("z")));
    assertThat(next.version()).isEqualTo(Versions.of(1, index));
  }

  @Test
  void aSnapshotMayPassTheOutboxBoundAndThenWritesWaitForTheDrain() {
    LogStamp tight = new LogStamp(5, true, 4, 1 << 20);
    for (int i = 0; i < 3; i++) {
      apply(Command.Put.unconditional(b("k" + i), b("v")), tight);
    }
    assertThat(apply(new Command.PublishSnapshot(), tight)).isInstanceOf(Reply.SnapshotPublished.class);
    assertThat(state.outbox().size()).isEqualTo(6);
    Reply refused = apply(Command.Put.unconditional(b("k9"), b("v")), tight);
    assertThat(refused).isInstanceOfSatisfying(Reply.Failure.class,
        f -> assertThat(f.code()).isEqualTo(ErrorCode.CDC_BACKLOG_FULL));
    assertThatThrownBy(() -> state.validate(Command.Put.unconditional(b("k9"), b("v")), 100, tight))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CDC_BACKLOG_FULL));
    // A confirm stops only at whole indexes (the publisher confirms an index once all its events are acked).
    apply(new Command.ConfirmPublished(4), tight);
    assertThat(state.outbox().size()).isZero();
    assertThat(apply(Command.Put.unconditional(b("k9"), b("v")), tight)).isInstanceOf(Reply.Written.class);
  }

  @Test
  void aSnapshotIsRefusedWhenCdcIsOff() {
    apply(Command.Put.unconditional(b("k"), b("a")), NO_CDC);
    assertThatThrownBy(() -> state.validate(new Command.PublishSnapshot(), 100, NO_CDC))
        .isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT);
          assertThat(e.getMessage()).contains("CDC is off");
        });
    assertThat(apply(new Command.PublishSnapshot(), NO_CDC)).isInstanceOfSatisfying(Reply.Failure.class,
        f -> assertThat(f.code()).isEqualTo(ErrorCode.CONFLICT));
    assertThat(state.outbox().size()).isZero();
  }

  @Test
  void snapshotOfAnEmptyStoreHasNoEvents() {
    assertThat(apply(new Command.PublishSnapshot())).isEqualTo(new Reply.SnapshotPublished(1, 0));
    assertThat(state.outbox().size()).isZero();
  }
}
