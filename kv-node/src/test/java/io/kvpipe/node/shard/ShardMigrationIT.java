package io.kvpipe.node.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.Versions;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.MigrationToken;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.ScanCursor;
import io.kvpipe.node.RaftTuning;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.ratis.RatisCluster;
import io.kvpipe.testsupport.tls.TestTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The migration commands over real 3-replica groups: a bulk load into the source, the fence, a paged copy into the
 * target (newer writes there win, copies keep their versions, a second copy changes nothing), fallback reads, purge of
 * the source, tombstone collection on the target, migration events in the replicated outbox, and a replica that was
 * down all along catching up from an installed snapshot to exactly the state of the others.
 */
class ShardMigrationIT {
  static final int MAX_VALUE = 4096;
  static final RaftGroupId SRC = RaftGroupId.valueOf(GroupIds.uuidOf("src"));
  static final RaftGroupId DST = RaftGroupId.valueOf(GroupIds.uuidOf("dst"));
  static final Map<RaftGroupId, String> NAMES = Map.of(SRC, "src", DST, "dst");
  static final HashRanges LOW = HashRanges.of(List.of(new HashRange(0, HashRange.RING_SIZE / 2)));
  static final HashRanges HIGH = HashRanges.FULL.minus(LOW);
  static final Duration WAIT = Duration.ofSeconds(60);
  static final MigrationToken M1 = new MigrationToken("m1", 2);

  @TempDir
  Path dir;
  RatisCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  ShardGroupClient client(String group) {
    List<PeerAddress> peers = cluster.peers().stream()
        .map(p -> PeerAddress.parse(p.getId() + "@" + p.getAddress())).toList();
    return ShardGroupClient.builder(group, peers).tls(TestTls.cluster().raftTls()).operationTimeout(Duration.ofSeconds(30)).build();
  }

  ShardState replica(String peer, RaftGroupId gid) {
    return ((ShardStateMachine) cluster.stateMachine(peer, gid)).state();
  }

  void startCluster() throws Exception {
    cluster = RatisCluster.builder(dir).peers(3).group(SRC).group(DST)
        .properties(p -> {
          RaftTuning.apply(p, 30, 16 << 10, MAX_VALUE);
          RaftServerConfigKeys.Log.setPurgeGap(p, 1);
        })
        .stateMachines((peer, gid) -> new ShardStateMachine(NAMES.get(gid),
            new ShardSettings(MAX_VALUE, true, 100_000, 64 << 20)))
        .start();
  }

  /**
   * A coordinator paused past its lease still holds a scanned page when it wakes up; by then another one finished the
   * migration, a client deleted a copied key on the target and the tombstone was collected. Its late MigrateIn must
   * not bring the key back: the target refuses every copy of a migration that collected its tombstones, and the
   * commands of any migration but the one that fenced it last.
   */
  @Test
  void aLateCopyFromAMigrationThatEndedCannotResurrectADeletedKey() throws Exception {
    startCluster();
    cluster.awaitLeader(SRC, WAIT);
    cluster.awaitLeader(DST, WAIT);
    try (ShardGroupClient src = client("src"); ShardGroupClient dst = client("dst")) {
      String k = "user-" + java.util.stream.IntStream.range(0, 100).filter(i -> HIGH.contains(HashRing.position(
          b("user-" + i)))).findFirst().orElseThrow();
      src.put(k, b("v1"));
      ShardGroupClient.join(src.setOwnershipAsync(2, LOW, M1.migrationId()));
      ShardGroupClient.join(dst.setOwnershipAsync(2, HIGH, M1.migrationId()));
      Reply.ScanPage paused = src.scan(HIGH, null, 100); // the paused coordinator's page

      copy(src, dst, HIGH, 100, M1); // the coordinator that took over copies,
      dst.delete(k); // a client deletes the key on its new owner,
      ShardGroupClient.join(src.purgeUnownedAsync(100, M1)); // and the migration ends.
      ShardGroupClient.join(dst.collectTombstonesAsync(HIGH, 100, M1));
      assertThat(ShardGroupClient.join(dst.readRecordAsync(k, false))).isEmpty();

      assertThat(codeOf(() -> ShardGroupClient.join(dst.migrateInAsync(paused.entries(), M1))))
          .isEqualTo(ErrorCode.CONFLICT);
      assertThat(dst.get(k)).as("a deleted key after a late copy").isEmpty();
      // A repeated fence (a resuming coordinator) does not reopen the copies; nor is another migration's token taken.
      ShardGroupClient.join(dst.setOwnershipAsync(2, HIGH, M1.migrationId()));
      assertThat(codeOf(() -> ShardGroupClient.join(dst.migrateInAsync(paused.entries(), M1))))
          .isEqualTo(ErrorCode.CONFLICT);
      assertThat(codeOf(() -> ShardGroupClient.join(dst.migrateInAsync(paused.entries(),
          new MigrationToken("m0", 2))))).isEqualTo(ErrorCode.CONFLICT);
      assertThat(codeOf(() -> ShardGroupClient.join(src.purgeUnownedAsync(100, new MigrationToken("m0", 1)))))
          .isEqualTo(ErrorCode.CONFLICT);
      assertThat(dst.get(k)).isEmpty();
      // The next migration fences at a new epoch and takes copies again.
      MigrationToken m2 = new MigrationToken("m2", 3);
      ShardGroupClient.join(dst.setOwnershipAsync(3, HashRanges.FULL, m2.migrationId()));
      assertThat(ShardGroupClient.join(dst.migrateInAsync(List.of(new Entry(b("other"), b("o"), 5)), m2)).applied())
          .isEqualTo(1);
    }
  }

  @Test
  void copyPurgeAndCollectAcrossTwoGroupsWithAFollowerCatchingUpByInstalledSnapshot() throws Exception {
    startCluster();
    String srcLeader = cluster.awaitLeader(SRC, WAIT);
    String dstLeader = cluster.awaitLeader(DST, WAIT);
    try (ShardGroupClient src = client("src"); ShardGroupClient dst = client("dst")) {
      // 1. A bulk load into the source: 600 keys in one entry, one version, client events seq 0..n-1.
      Map<String, byte[]> load = new LinkedHashMap<>();
      for (int i = 0; i < 600; i++) {
        load.put("user-" + i, b("value-" + i));
      }
      Reply.Written loaded = ShardGroupClient.join(src.putAllAsync(load));
      List<String> high = load.keySet().stream().filter(k -> HIGH.contains(HashRing.position(b(k)))).toList();
      List<String> low = load.keySet().stream().filter(k -> LOW.contains(HashRing.position(b(k)))).toList();
      assertThat(high).hasSizeGreaterThan(200);
      assertThat(low).hasSizeGreaterThan(200);
      assertThat(src.get(high.get(0)).orElseThrow().version()).isEqualTo(loaded.version());
      List<ChangeEvent> loadEvents = ((ShardStateMachine) cluster.stateMachine(srcLeader, SRC))
          .pendingAfter(0, 10_000).stream().filter(e -> e.logIndex() == Versions.logIndex(loaded.version())).toList();
      assertThat(loadEvents).hasSize(600).allSatisfy(e -> assertThat(e.origin()).isEqualTo(Origin.CLIENT));
      assertThat(loadEvents).extracting(ChangeEvent::seq).containsExactlyElementsOf(
          java.util.stream.IntStream.range(0, 600).boxed().toList());
      // Tombstones in the source travel too.
      for (int i = 0; i < 10; i++) {
        src.delete(high.get(i));
      }

      // A replica that misses everything from here on, leading neither group.
      String lagging = cluster.peerIds().stream().filter(p -> !p.equals(srcLeader) && !p.equals(dstLeader))
          .findFirst().orElseThrow();
      cluster.stopPeer(lagging);

      // 2. The fence: the high half moves from src to dst at epoch 2.
      ShardGroupClient.join(src.setOwnershipAsync(2, LOW, M1.migrationId()));
      ShardGroupClient.join(dst.setOwnershipAsync(2, HIGH, M1.migrationId()));
      String moved = high.get(20);
      assertThat(codeOf(() -> src.get(moved))).isEqualTo(ErrorCode.WRONG_GROUP);
      assertThat(codeOf(() -> src.put(moved, b("late")))).isEqualTo(ErrorCode.WRONG_GROUP);
      assertThat(ShardGroupClient.join(src.fallbackGetAsync(moved)).orElseThrow().value()).isEqualTo(load.get(moved));
      // Writes on the target after the fence, before the copy: they must survive it.
      String rewritten = high.get(30);
      String deletedOnTarget = high.get(31);
      long rewrittenVersion = dst.put(rewritten, b("newer")).version();
      dst.delete(deletedOnTarget);

      // 3. The copy, page by page, and once more (a resumed copy changes nothing).
      Reply.Migrated first = copy(src, dst, HIGH, 97, M1);
      assertThat(first.applied() + first.skipped()).isEqualTo(high.size());
      assertThat(first.skipped()).isEqualTo(2);
      Reply.Migrated again = copy(src, dst, HIGH, 500, M1);
      assertThat(again).isEqualTo(new Reply.Migrated(0, high.size()));

      Entry copied = dst.get(moved).orElseThrow();
      assertThat(copied.value()).isEqualTo(load.get(moved));
      assertThat(copied.version()).isEqualTo(loaded.version());
      assertThat(dst.get(rewritten).orElseThrow().version()).isEqualTo(rewrittenVersion);
      assertThat(dst.get(deletedOnTarget)).isEmpty();
      assertThat(ShardGroupClient.join(dst.readRecordAsync(high.get(3), false)).orElseThrow().deleted()).isTrue();
      assertThat(codeOf(() -> dst.get(low.get(0)))).isEqualTo(ErrorCode.WRONG_GROUP);
      assertThat(Versions.epoch(dst.put(moved, b("after")).version())).isEqualTo(2);

      // A copy of a key the target does not own is refused whole.
      long dstRecords = dst.status().records();
      Entry foreign = new Entry(b(low.get(0)), b("x"), 5);
      Entry fine = new Entry(b(high.get(40)), b("x"), 5);
      assertThat(codeOf(() -> ShardGroupClient.join(dst.migrateInAsync(List.of(fine, foreign), M1))))
          .isEqualTo(ErrorCode.WRONG_GROUP);
      assertThat(dst.status().records()).isEqualTo(dstRecords);

      // The target's outbox holds the copies as migration events, c for new keys and d for tombstones.
      List<ChangeEvent> migration = ((ShardStateMachine) cluster.stateMachine(cluster.awaitLeader(DST, WAIT), DST))
          .pendingAfter(0, 100_000).stream().filter(e -> e.origin() == Origin.MIGRATION).toList();
      assertThat(migration).hasSize(first.applied());
      assertThat(migration).filteredOn(e -> e.op() == Op.DELETE).hasSize(10);
      assertThat(migration).filteredOn(e -> e.op() == Op.CREATE).hasSize(first.applied() - 10);
      assertThat(migration).filteredOn(e -> e.key().equals(moved)).singleElement()
          .satisfies(e -> assertThat(e.version()).isEqualTo(loaded.version()));

      // 4. Purge the source, in bounded steps: only its own half is left.
      int purged = 0;
      Reply.Purged step;
      do {
        step = ShardGroupClient.join(src.purgeUnownedAsync(64, M1));
        purged += step.removed();
      } while (step.more());
      assertThat(purged).isEqualTo(high.size());
      assertThat(src.status().records()).isEqualTo(low.size());
      assertThat(ShardGroupClient.join(src.fallbackGetAsync(moved))).isEmpty();

      // 5. Collect the target's tombstones in the ranges it received.
      int collected = 0;
      do {
        step = ShardGroupClient.join(dst.collectTombstonesAsync(HIGH, 4, M1));
        collected += step.removed();
      } while (step.more());
      assertThat(collected).isEqualTo(11);
      assertThat(scanAll(dst, HashRanges.FULL)).noneMatch(Entry::deleted).hasSize(high.size() - 11);

      // Enough further entries that every running replica snapshots and purges its log past what `lagging` has.
      byte[] filler = new byte[3000];
      for (int i = 0; i < 40; i++) {
        dst.put(high.get(i % 50), filler);
        src.put(low.get(i % 50), filler);
      }
      for (String peer : cluster.peerIds()) {
        if (!peer.equals(lagging)) {
          Poll.until(peer + " snapshotted and purged its log", WAIT, () -> hasSnapshot(peer) && logPurged(peer));
        }
      }

      // 6. The lagging replica comes back: only an installed snapshot can bring it up to date.
      cluster.startPeer(lagging);
      for (RaftGroupId gid : List.of(SRC, DST)) {
        String leader = cluster.awaitLeader(gid, WAIT);
        Poll.until(lagging + " agrees on " + NAMES.get(gid), WAIT,
            () -> replica(lagging, gid).appliedIndex() >= replica(leader, gid).appliedIndex());
        assertThat(Fingerprint.of(replica(lagging, gid))).isEqualTo(Fingerprint.of(replica(leader, gid)));
      }
      assertThat(hasSnapshot(lagging)).isTrue();
      // And every replica agrees with every other.
      for (RaftGroupId gid : List.of(SRC, DST)) {
        String leader = cluster.awaitLeader(gid, WAIT);
        for (String peer : cluster.peerIds()) {
          Poll.until(peer + " applied all of " + NAMES.get(gid), WAIT,
              () -> replica(peer, gid).appliedIndex() >= replica(leader, gid).appliedIndex());
          assertThat(Fingerprint.of(replica(peer, gid))).as(peer).isEqualTo(Fingerprint.of(replica(leader, gid)));
        }
      }
    }
  }

  /** What two replicas must agree on: every record (tombstones included), the ownership and the outbox. */
  record Fingerprint(List<String> records, Ownership ownership, List<ChangeEvent> outbox, long tombstones) {
    static Fingerprint of(ShardState s) {
      List<String> records = new ArrayList<>();
      for (var e : s.store().all()) {
        records.add(new String(e.getKey().key(), StandardCharsets.UTF_8) + "="
            + (e.getValue().value() == null ? "<deleted>" : new String(e.getValue().value(), StandardCharsets.UTF_8))
            + "@" + e.getValue().version());
      }
      return new Fingerprint(records, s.ownership(), s.outbox().all(), s.store().tombstoneCount());
    }
  }

  /** Copies every record of {@code ranges} from one group to the other, scan page by scan page. */
  static Reply.Migrated copy(ShardGroupClient from, ShardGroupClient to, HashRanges ranges, int page,
                             MigrationToken token) {
    int applied = 0;
    int skipped = 0;
    ScanCursor cursor = null;
    do {
      Reply.ScanPage p = from.scan(ranges, cursor, page);
      Reply.Migrated m = ShardGroupClient.join(to.migrateInAsync(p.entries(), token));
      applied += m.applied();
      skipped += m.skipped();
      cursor = p.next();
    } while (cursor != null);
    return new Reply.Migrated(applied, skipped);
  }

  static List<Entry> scanAll(ShardGroupClient c, HashRanges ranges) {
    List<Entry> out = new ArrayList<>();
    ScanCursor cursor = null;
    do {
      Reply.ScanPage p = c.scan(ranges, cursor, 1000);
      out.addAll(p.entries());
      cursor = p.next();
    } while (cursor != null);
    return out;
  }

  static ErrorCode codeOf(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    Throwable[] caught = new Throwable[1];
    assertThatThrownBy(() -> {
      try {
        call.call();
      } catch (Throwable t) {
        caught[0] = t;
        throw t;
      }
    }).isInstanceOf(KvException.class);
    return ((KvException) caught[0]).code();
  }

  private boolean hasSnapshot(String peer) {
    return filesUnder(cluster.dataDir(peer)).anyMatch(p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+"));
  }

  /** Whether the peer's log no longer starts at index 0 (its first segments were purged after a snapshot). */
  private boolean logPurged(String peer) {
    return filesUnder(cluster.dataDir(peer)).map(p -> p.getFileName().toString())
        .filter(f -> f.startsWith("log_")).noneMatch(f -> f.startsWith("log_0-") || f.startsWith("log_inprogress_0"));
  }

  private static Stream<Path> filesUnder(Path root) {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).toList().stream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
