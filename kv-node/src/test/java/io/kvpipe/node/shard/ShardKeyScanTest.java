package io.kvpipe.node.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.error.ErrorCode;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The index by key beside the ring-ordered store: a key-range page in key order, kept in step with every change. */
class ShardKeyScanTest {
  static final LogStamp STAMP = new LogStamp(1000, true, 1_000_000, 1L << 30);

  @TempDir
  Path dir;
  final ShardState state = new ShardState("g1");
  long index;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  Reply apply(Command c) {
    return state.apply(c, ++index, 1, STAMP);
  }

  Reply.KeyPage scan(ShardState s, String start, String end, int limit, boolean values, int maxBytes) {
    Reply r = s.query(new Query.KeyScan(b(start), end == null ? null : b(end), limit, values, maxBytes));
    assertThat(r).isInstanceOf(Reply.KeyPage.class);
    return (Reply.KeyPage) r;
  }

  static List<String> keys(Reply.KeyPage p) {
    return p.entries().stream().map(Entry::keyString).toList();
  }

  @Test
  void aRangeComesInKeyOrderWithTombstonesAndStopsAtItsLimit() {
    for (String k : List.of("b", "a/2", "a/10", "a/1", "c", "a")) {
      apply(Command.Put.unconditional(b(k), b("v-" + k)));
    }
    apply(new Command.Delete(b("a/2"), Request.ANY_VERSION));

    Reply.KeyPage all = scan(state, "", null, 100, true, 1 << 20);
    assertThat(keys(all)).containsExactly("a", "a/1", "a/10", "a/2", "b", "c");
    assertThat(all.more()).isFalse();
    assertThat(all.entries().get(3).deleted()).isTrue();
    assertThat(all.entries().get(1).value()).isEqualTo(b("v-a/1"));
    assertThat(all.owned()).isEqualTo(HashRanges.FULL);

    Reply.KeyPage range = scan(state, "a/", "a0", 2, false, 1 << 20);
    assertThat(keys(range)).containsExactly("a/1", "a/10");
    assertThat(range.more()).isTrue();
    assertThat(range.entries().get(0).value()).isEmpty(); // live, value left out
    Reply.KeyPage rest = scan(state, "a/10\u0000", "a0", 2, false, 1 << 20);
    assertThat(keys(rest)).containsExactly("a/2");
    assertThat(rest.entries().get(0).deleted()).isTrue();
    assertThat(rest.more()).isFalse();

    assertThat(keys(scan(state, "b", "b", 10, false, 1))).isEmpty();
    assertThat(keys(scan(state, "z", null, 10, false, 1))).isEmpty();
  }

  @Test
  void valuesStopAPageAtItsByteBoundButTheFirstAlwaysFits() {
    apply(Command.Put.unconditional(b("k1"), new byte[100]));
    apply(Command.Put.unconditional(b("k2"), new byte[100]));
    apply(Command.Put.unconditional(b("k3"), new byte[100]));
    Reply.KeyPage one = scan(state, "", null, 10, true, 10);
    assertThat(keys(one)).containsExactly("k1");
    assertThat(one.more()).isTrue();
    assertThat(keys(scan(state, "", null, 10, true, 200))).containsExactly("k1", "k2");
    // Without values the byte bound does not apply.
    assertThat(keys(scan(state, "", null, 10, false, 1))).containsExactly("k1", "k2", "k3");
  }

  @Test
  void badLimitsAreRefused() {
    for (Query q : List.of(new Query.KeyScan(b("a"), null, 0, false, 1),
        new Query.KeyScan(b("a"), null, Query.MAX_ITEMS + 1, false, 1), new Query.KeyScan(b("a"), null, 1, true, 0))) {
      assertThat(state.query(q)).isInstanceOfSatisfying(Reply.Failure.class,
          f -> assertThat(f.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST));
    }
  }

  @Test
  void theIndexFollowsMigrationCopiesPurgesAndTombstoneCollection() {
    List<String> all = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      all.add("key-" + i);
      apply(Command.Put.unconditional(b("key-" + i), b("v")));
    }
    HashRanges low = HashRanges.of(List.of(new HashRange(0, 1L << 31)));
    apply(new Command.SetOwnership(2, low, "m2"));
    MigrationToken token = new MigrationToken("m2", 2);
    // The page names the ownership it was read under, and still lists the records the group no longer owns.
    Reply.KeyPage fenced = scan(state, "", null, 1000, false, 1);
    assertThat(fenced.owned()).isEqualTo(low);
    assertThat(fenced.epoch()).isEqualTo(2);
    assertThat(fenced.entries()).hasSize(200);

    Reply.Purged purged = (Reply.Purged) apply(new Command.PurgeUnowned(1000, token));
    TreeSet<String> owned = new TreeSet<>();
    for (String k : all) {
      if (low.contains(HashRing.position(b(k)))) {
        owned.add(k);
      }
    }
    assertThat(purged.removed()).isEqualTo(200 - owned.size());
    assertThat(keys(scan(state, "", null, 1000, false, 1))).containsExactlyElementsOf(owned);

    String gone = owned.first();
    apply(new Command.Delete(b(gone), Request.ANY_VERSION));
    apply(new Command.CollectTombstones(low, 1000, token));
    assertThat(keys(scan(state, "", null, 1000, false, 1))).containsExactlyElementsOf(owned.tailSet(gone, false));

    // A copy into an owned range lands in the index too.
    String copied = "copied-" + all.size();
    int n = 0;
    while (!low.contains(HashRing.position(b(copied)))) {
      copied = "copied-" + (++n);
    }
    // Copies closed with the collection above: a new migration epoch reopens them.
    apply(new Command.SetOwnership(3, low, "m3"));
    Reply r = apply(new Command.MigrateIn(List.of(new Entry(b(copied), b("c"), 5)), new MigrationToken("m3", 3)));
    assertThat(r).isInstanceOf(Reply.Migrated.class);
    assertThat(keys(scan(state, "copied-", "copied.", 10, true, 100))).containsExactly(copied);
  }

  @Test
  void aSnapshotRestoresTheIndex() throws Exception {
    for (int i = 0; i < 50; i++) {
      apply(Command.Put.unconditional(b(String.format("s-%03d", i)), b("v" + i)));
    }
    apply(new Command.Delete(b("s-007"), Request.ANY_VERSION));
    File f = dir.resolve("snapshot.1_" + index).toFile();
    SnapshotFile.write(state, 1, index, f);
    ShardState loaded = SnapshotFile.read(f).state();
    assertThat(scan(loaded, "s-", "s.", 100, true, 1 << 20)).usingRecursiveComparison()
        .isEqualTo(scan(state, "s-", "s.", 100, true, 1 << 20));
  }
}
