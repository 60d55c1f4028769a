package io.kvpipe.proxy.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.Migration;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.proxy.ProxyMetrics;
import io.kvpipe.testsupport.Poll;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The coordinator's steps against in-memory groups and the real meta transitions (unit level only). */
class MigrationCoordinatorTest {
  static final MigrationSettings FAST = new MigrationSettings(Duration.ofMillis(800), Duration.ofMillis(100),
      Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofSeconds(1));
  static final int KEYS = 3000;

  FakeCluster fake;
  final List<MigrationCoordinator> coordinators = new ArrayList<>();
  final List<String> keys = new ArrayList<>();

  @BeforeEach
  void setUp() {
    fake = new FakeCluster();
    fake.submit(new MetaCommand.Bootstrap(List.of(ShardGroup.parse("g1=n1@127.0.0.1:1"),
        ShardGroup.parse("g2=n2@127.0.0.1:2")), List.of(), 64, 1));
    Topology t = fake.snapshot();
    t.ring().toRing().ownership().forEach((g, r) -> fake.setOwnership(g, 1, r, ""));
    HashRing ring = t.ring().toRing();
    for (int i = 0; i < KEYS; i++) {
      String k = "key-" + i;
      keys.add(k);
      fake.put(ring.groupFor(k.getBytes(StandardCharsets.UTF_8)), k, ("v" + i).getBytes());
    }
  }

  @AfterEach
  void tearDown() {
    coordinators.forEach(MigrationCoordinator::close);
  }

  MigrationCoordinator coordinator(String id) {
    MigrationCoordinator c = new MigrationCoordinator(id, new MigrationStore(fake, System::currentTimeMillis), fake,
        fake::snapshot, FAST, new ProxyMetrics());
    coordinators.add(c);
    return c;
  }

  Migration awaitPhase(String id, String phase) {
    return Poll.forValue("migration " + id + " " + phase, Duration.ofSeconds(30), () -> {
      Migration m = fake.snapshot().migration(id).orElseThrow();
      if (m.phase().equals(Migration.FAILED)) {
        throw new Poll.Abort("failed: " + m.attributes().get("error"));
      }
      return m.phase().equals(phase) ? m : null;
    });
  }

  /** Every key lives in exactly its owner under the topology's ring, with its value. */
  void assertEveryKeyAtItsOwner(String expectedValueSuffixKey, String expectedValue) {
    Topology t = fake.snapshot();
    HashRing ring = t.ring().toRing();
    for (String k : keys) {
      String owner = ring.groupFor(k.getBytes(StandardCharsets.UTF_8));
      for (String g : List.of("g1", "g2", "g3")) {
        Entry e = fake.record(g, k);
        if (g.equals(owner)) {
          assertThat(e).as(k + " in its owner " + g).isNotNull();
          String want = k.equals(expectedValueSuffixKey) ? expectedValue : "v" + k.substring(4);
          assertThat(new String(e.value())).as(k).isEqualTo(want);
        } else {
          assertThat(e).as(k + " purged from " + g).isNull();
        }
      }
    }
  }

  @Test
  void addsThenRemovesAGroupMovingOnlyTheKeysWhoseOwnerChanges() {
    MigrationCoordinator c = coordinator("c1");
    HashRing before = fake.snapshot().ring().toRing();
    MigrationRecord r = c.addGroup("g3", List.of(Peer.parse("n3@127.0.0.1:3")), 0, 100);
    assertThat(r.phase()).isEqualTo("pending");
    Migration done = awaitPhase(r.id(), Migration.DONE);
    Topology t = fake.snapshot();
    assertThat(t.ringMembers()).containsExactly("g1", "g2", "g3");
    assertThat(t.epoch()).isEqualTo(2);
    long moved = keys.stream().filter(k -> !before.groupFor(k.getBytes()).equals(
        t.ring().toRing().groupFor(k.getBytes()))).count();
    assertThat(moved).isBetween((long) (KEYS * 0.25), (long) (KEYS * 0.42));
    assertThat(done.keysCopied()).isEqualTo(moved);
    assertThat(done.keysTotal()).isEqualTo(moved);
    assertEveryKeyAtItsOwner(null, null);
    assertThat(fake.group("g3").epoch).isEqualTo(2);
    assertThat(fake.group("g1").epoch).isEqualTo(2);

    Map<String, Object> view = MigrationView.of(new MigrationRecord(done));
    assertThat(view).containsEntry("kind", "add-group").containsEntry("group", "g3").containsEntry("phase", "done")
        .containsEntry("sourceGroups", List.of("g1", "g2")).containsEntry("targetGroups", List.of("g3"))
        .containsEntry("fromEpoch", 1L).containsEntry("toEpoch", 2L).containsEntry("coordinator", "c1")
        .containsEntry("cancelled", false).containsEntry("error", null).containsEntry("etaSeconds", 0L)
        .containsEntry("keysTotalEstimate", false);

    MigrationRecord rm = c.removeGroup("g2", 0, 500);
    awaitPhase(rm.id(), Migration.DONE);
    Topology after = fake.snapshot();
    assertThat(after.ringMembers()).containsExactly("g1", "g3");
    assertThat(after.group("g2")).isEmpty();
    assertThat(after.epoch()).isEqualTo(3);
    assertEveryKeyAtItsOwner(null, null);
    assertThat(fake.group("g2").records).isEmpty();
    assertThat(MigrationView.list(after)).extracting(m -> m.get("id")).containsExactly(rm.id(), r.id());
  }

  @Test
  void aDrainedGroupLeavesTheTopologyOnlyOnceItsChangeEventsArePublished() {
    MigrationCoordinator c = coordinator("c1");
    MigrationRecord r = c.removeGroup("g2", 200, 100);
    Poll.until("copying", Duration.ofSeconds(10), () -> fake.snapshot().migration(r.id()).orElseThrow().phase()
        .equals("copying"));
    fake.group("g2").unpublished = 7; // e.g. written just before the fence, with Kafka down since
    c.patch(r.id(), 0L, 500);
    Migration waiting = Poll.forValue("the drain waiting for g2's events", Duration.ofSeconds(30), () -> {
      Migration m = fake.snapshot().migration(r.id()).orElseThrow();
      String w = m.attributes().get("waitingFor");
      return w != null && w.contains("g2: 7 change events") ? m : null;
    });
    assertThat(waiting.phase()).isEqualTo(MigrationRecord.FINISHING);
    assertThat(fake.snapshot().group("g2")).isPresent();
    assertThat(MigrationView.of(new MigrationRecord(waiting)).get("waitingFor")).asString().contains("g2");

    fake.group("g2").unpublished = 0;
    Migration done = awaitPhase(r.id(), Migration.DONE);
    assertThat(fake.snapshot().group("g2")).isEmpty();
    assertThat(done.attributes()).doesNotContainKey("waitingFor");
    assertThat(done.publishedUpTo("g2")).isEqualTo(fake.group("g2").index);
  }

  @Test
  void targetsTakeTheMovingKeysOnlyOnceEverySourcePublishedItsChanges() {
    MigrationCoordinator c = coordinator("c1");
    fake.group("g1").unpublished = 3; // Kafka down: g1's last changes wait in its outbox
    MigrationRecord r = c.addGroup("g3", List.of(Peer.parse("n3@127.0.0.1:3")), 0, 500);
    Migration waiting = Poll.forValue("the add waiting for g1's events", Duration.ofSeconds(30), () -> {
      Migration m = fake.snapshot().migration(r.id()).orElseThrow();
      String w = m.attributes().get("waitingFor");
      return w != null && w.startsWith("g1: change events before fencing") ? m : null;
    });
    assertThat(waiting.phase()).isEqualTo(MigrationRecord.FENCING);
    assertThat(fake.snapshot().epoch()).as("ring not moved").isEqualTo(1);
    assertThat(fake.group("g1").epoch).as("nothing fenced yet: g1 takes writes of every key it owns").isEqualTo(1);
    assertThat(fake.group("g3").epoch).isEqualTo(1);

    fake.group("g1").unpublished = 0;
    awaitPhase(r.id(), Migration.DONE);
    assertEveryKeyAtItsOwner(null, null);
  }

  @Test
  void oneChangeAtATimeAndBadRequestsChangeNothing() {
    MigrationCoordinator c = coordinator("c1");
    MigrationRecord r = c.addGroup("g3", List.of(Peer.parse("n3@127.0.0.1:3")), 100, 100);
    long version = fake.snapshot().version();
    assertThatThrownBy(() -> c.removeGroup("g1", 0, 100)).isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
    assertThatThrownBy(() -> c.changePeers(Migration.ADD_PEER, "g1", Peer.parse("n7@127.0.0.1:7")))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
    assertThatThrownBy(() -> c.patch(r.id(), -1L, null)).isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST));
    assertThatThrownBy(() -> c.patch(r.id(), null, 10_001)).isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST));
    assertThatThrownBy(() -> c.patch("nope", 5L, null)).isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    assertThat(fake.snapshot().migration(r.id()).orElseThrow().attributes()).containsEntry("throttleKeysPerSecond",
        "100");
    assertThat(fake.snapshot().version()).isGreaterThanOrEqualTo(version);
    c.patch(r.id(), 0L, 500);
    awaitPhase(r.id(), Migration.DONE);
    assertThatThrownBy(() -> c.addGroup("g3", List.of(), 0, 100)).isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
    assertThatThrownBy(() -> c.addGroup("g4", List.of(), 0, 100)).isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST));
    assertThatThrownBy(() -> c.addGroup("g4", List.of(Peer.parse("n1@127.0.0.1:999")), 0, 100))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
    assertThatThrownBy(() -> c.removeGroup("g9", 0, 100)).isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_GROUP));
    assertThatThrownBy(() -> c.cancel(r.id())).isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
    assertThat(fake.snapshot().inFlightMigration()).isEmpty();
  }

  @Test
  void aCancelDuringTheCopyPutsTheRingAndEveryKeyBack() {
    MigrationCoordinator c = coordinator("c1");
    HashRing before = fake.snapshot().ring().toRing();
    MigrationRecord r = c.addGroup("g3", List.of(Peer.parse("n3@127.0.0.1:3")), 400, 50);
    Poll.until("copying", Duration.ofSeconds(10), () -> fake.snapshot().migration(r.id()).orElseThrow().phase()
        .equals("copying"));
    // A client write to a moved key lands on the new owner during the copy; the cancel must carry it back.
    String moved = keys.stream().filter(k -> !before.groupFor(k.getBytes()).equals(
        fake.snapshot().ring().toRing().groupFor(k.getBytes()))).findFirst().orElseThrow();
    fake.put("g3", moved, "written-during-copy".getBytes());
    MigrationRecord cancelling = c.cancel(r.id());
    assertThat(MigrationView.of(cancelling)).containsEntry("cancelled", true);
    assertThat(c.cancel(r.id()).migration().attributes()).containsEntry("cancelRequested", "true");
    Migration end = awaitPhase(r.id(), Migration.CANCELLED);
    assertThat(end.fromEpoch()).isEqualTo(2);
    assertThat(end.toEpoch()).isEqualTo(3);
    Topology t = fake.snapshot();
    assertThat(t.ringMembers()).containsExactly("g1", "g2");
    assertThat(t.epoch()).isEqualTo(3);
    assertEveryKeyAtItsOwner(moved, "written-during-copy");
    assertThat(fake.group("g3").records).isEmpty();
    assertThat(fake.group("g3").owned).isEqualTo(HashRanges.EMPTY);
    assertThat(t.group("g3")).as("the group a cancelled add created").isEmpty();
  }

  @Test
  void aCancelBeforeAnythingMovedRemovesTheGroupItAdded() {
    MigrationCoordinator c = coordinator("c1");
    fake.group("g3").unreachable = true; // its replicas are not up yet: the add waits in pending
    MigrationRecord r = c.addGroup("g3", List.of(Peer.parse("n3@127.0.0.1:3")), 0, 100);
    Poll.until("g3 in the topology", Duration.ofSeconds(10), () -> fake.snapshot().group("g3").isPresent());
    c.cancel(r.id());
    awaitPhase(r.id(), Migration.CANCELLED);
    Topology t = fake.snapshot();
    assertThat(t.ringMembers()).containsExactly("g1", "g2");
    assertThat(t.epoch()).isEqualTo(1);
    assertThat(t.group("g3")).as("the group a cancelled add created").isEmpty();
    assertEveryKeyAtItsOwner(null, null);
  }

  @Test
  void anotherCoordinatorTakesOverWhenTheLeaseExpiresAndFinishesTheJob() {
    MigrationCoordinator a = coordinator("a");
    MigrationCoordinator b = coordinator("b");
    b.start();
    MigrationRecord r = a.addGroup("g3", List.of(Peer.parse("n3@127.0.0.1:3")), 500, 50);
    Poll.until("some keys copied", Duration.ofSeconds(10), () -> fake.snapshot().migration(r.id()).orElseThrow()
        .keysCopied() > 0);
    a.close(); // stops heartbeating, as a crashed proxy would
    Migration done = awaitPhase(r.id(), Migration.DONE);
    assertThat(done.attributes()).containsEntry("coordinator", "b");
    assertEveryKeyAtItsOwner(null, null);
  }

  @Test
  void replicasAreAddedAndRemovedWithTheirGuards() {
    MigrationCoordinator c = coordinator("c1");
    Peer n9 = Peer.parse("n9@127.0.0.1:9");
    MigrationRecord add = c.changePeers(Migration.ADD_PEER, "g1", n9);
    assertThat(add.migration().attributes()).containsEntry("group", "g1").containsEntry("peer", n9.toString());
    awaitPhase(add.id(), Migration.DONE);
    assertThat(fake.snapshot().group("g1").orElseThrow().peers()).extracting(Peer::id).containsExactly("n1", "n9");
    assertThat(fake.group("g1").peers).extracting(Peer::id).containsExactly("n1", "n9");
    assertThatThrownBy(() -> c.changePeers(Migration.ADD_PEER, "g1", n9)).isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
    assertThatThrownBy(() -> c.changePeers(Migration.REMOVE_PEER, "g2", Peer.parse("n2@x:1")))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
    assertThatThrownBy(() -> c.changePeers(Migration.REMOVE_PEER, "g7", n9)).isInstanceOfSatisfying(
        KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_GROUP));

    MigrationRecord rm = c.changePeers(Migration.REMOVE_PEER, "g1", new Peer("n9", "unknown", 1));
    assertThat(rm.peer()).isEqualTo(n9.toString());
    awaitPhase(rm.id(), Migration.DONE);
    assertThat(fake.snapshot().group("g1").orElseThrow().peers()).extracting(Peer::id).containsExactly("n1");
  }

  /**
   * The meta group answers a resend of a command it applied before its replicas restarted "already applied": an
   * unknown outcome. The coordinator reads the topology instead of reporting a failure: the caller who started the
   * migration is told it started (it was), and no step records an error for a command that was applied.
   */
  @Test
  void commandsWhoseRepliesWereLostAfterTheyWereAppliedCountAsApplied() {
    MigrationCoordinator c = coordinator("c1");
    fake.loseReplyOnce.addAll(List.of(MetaCommand.PutMigration.class, MetaCommand.AddGroup.class,
        MetaCommand.SetRing.class));

    MigrationRecord r = c.addGroup("g3", List.of(Peer.parse("n3@127.0.0.1:3")), 0, 100);

    assertThat(r.phase()).isEqualTo("pending");
    Migration done = awaitPhase(r.id(), Migration.DONE);
    assertThat(fake.loseReplyOnce).as("every lost reply happened").isEmpty();
    assertThat(done.attributes()).doesNotContainKey("error");
    assertThat(fake.snapshot().ringMembers()).containsExactly("g1", "g2", "g3");
    assertEveryKeyAtItsOwner(null, null);

    fake.loseReplyOnce.addAll(List.of(MetaCommand.PutMigration.class, MetaCommand.SetGroupPeers.class));
    MigrationRecord add = c.changePeers(Migration.ADD_PEER, "g1", Peer.parse("n9@127.0.0.1:9"));
    Migration added = awaitPhase(add.id(), Migration.DONE);
    assertThat(fake.loseReplyOnce).isEmpty();
    assertThat(added.attributes()).doesNotContainKey("error");
    assertThat(fake.snapshot().group("g1").orElseThrow().peers()).extracting(Peer::id).containsExactly("n1", "n9");
  }

  @Test
  void anUpdateWhoseReplyWasLostAfterItWasAppliedReturnsTheRecordItWrote() {
    Migration m = new Migration("m1", Migration.ADD_GROUP, "pending", 1, 2, null, List.of("g1"), List.of("g3"), 0, 0,
        1, 1, Map.of("step", "pending", "coordinator", "c1"));
    fake.submit(new MetaCommand.PutMigration(m, null, 1));
    MigrationStore store = new MigrationStore(fake, () -> 2);
    fake.loseReplyOnce.add(MetaCommand.PutMigration.class);

    MigrationRecord patched = store.update("m1", ctx -> ctx.record().withAttributes(2,
        a -> a.put("throttleKeysPerSecond", "7")));

    assertThat(fake.loseReplyOnce).isEmpty();
    assertThat(patched.throttleKeysPerSecond()).isEqualTo(7);
    assertThat(fake.snapshot().migration("m1")).contains(patched.migration());
  }

  /** An unknown outcome the topology does not resolve stays one for the caller, never a definite refusal. */
  @Test
  void aLostReplyOfACommandThatWasNotAppliedStaysAnUnknownOutcome() {
    MigrationStore store = new MigrationStore(new MetaAccess() {
      @Override
      public Topology snapshot() {
        return fake.snapshot();
      }

      @Override
      public io.kvpipe.common.topology.MetaReply submit(MetaCommand command) {
        throw new io.kvpipe.common.error.OutcomeUnknownException(ErrorCode.TIMEOUT, "no answer in time");
      }
    }, System::currentTimeMillis);
    MigrationCoordinator c = new MigrationCoordinator("c1", store, fake, fake::snapshot, FAST, new ProxyMetrics());
    coordinators.add(c);

    assertThatThrownBy(() -> c.addGroup("g3", List.of(Peer.parse("n3@127.0.0.1:3")), 0, 100))
        .isInstanceOf(io.kvpipe.common.error.OutcomeUnknownException.class);
    assertThat(fake.snapshot().migrations()).isEmpty();
  }

  /**
   * The create's reply is lost and its resend takes seconds (the meta replicas restart); meanwhile this proxy's
   * watchdog (every heartbeat) finds the new record, held by this coordinator but not running here, and resumes it,
   * renewing its heartbeat. The resend's "already applied" must still count as started: the record is there under
   * the migration's own fresh id, though no longer equal to what the create wrote.
   */
  @Test
  void aCreateWhoseReplyWasLostCountsAsStartedAfterTheWatchdogResumedIt() {
    java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(
        System.currentTimeMillis());
    MigrationCoordinator[] self = new MigrationCoordinator[1];
    boolean[] createLost = {false};
    MigrationStore store = new MigrationStore(new MetaAccess() {
      @Override
      public Topology snapshot() {
        return fake.snapshot();
      }

      @Override
      public io.kvpipe.common.topology.MetaReply submit(MetaCommand command) {
        boolean create = command instanceof MetaCommand.PutMigration p
            && fake.snapshot().migration(p.migration().id()).isEmpty();
        io.kvpipe.common.topology.MetaReply reply = fake.submit(command);
        if (create && !createLost[0]) {
          createLost[0] = true;
          self[0].adoptOrphan(); // the watchdog's tick while the resend waits for the meta group
          throw new io.kvpipe.common.error.OutcomeUnknownException(ErrorCode.TIMEOUT, "this request was already"
              + " applied at log index 0 of group meta and its reply was lost (fake)");
        }
        return reply;
      }
    }, clock::incrementAndGet);
    MigrationCoordinator c = new MigrationCoordinator("c1", store, fake, fake::snapshot, FAST, new ProxyMetrics());
    self[0] = c;
    coordinators.add(c);

    MigrationRecord r = c.addGroup("g3", List.of(Peer.parse("n3@127.0.0.1:3")), 0, 100);

    assertThat(createLost[0]).isTrue();
    Migration done = awaitPhase(r.id(), Migration.DONE);
    assertThat(done.attributes()).doesNotContainKey("error");
    assertThat(fake.snapshot().ringMembers()).containsExactly("g1", "g2", "g3");
  }
}
