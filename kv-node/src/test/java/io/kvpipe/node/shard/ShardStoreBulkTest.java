package io.kvpipe.node.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.Ttl;
import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The store's batch paths (a migration's copy and purge, which change each index leaf once per batch) leave every
 * index exactly as the same changes made record by record do: records, key order, tombstones, TTL deadlines, count.
 */
class ShardStoreBulkTest {
  private static final long NOW = 1_700_000_000_000L;

  @Test
  void aCopyInOneBatchEqualsTheSameCopyRecordByRecord() {
    Random random = new Random(17);
    ShardStore batched = new ShardStore();
    ShardStore single = new ShardStore();
    for (int round = 0; round < 60; round++) {
      // Some keys already there (older, newer or equal versions), live or tombstones, with and without TTLs.
      for (int i = 0; i < 200; i++) {
        byte[] key = key(random.nextInt(3_000));
        ShardStore.Rec rec = randomRec(random, 1 + random.nextInt(50));
        batched.put(key, rec);
        single.put(key, rec);
      }
      List<ShardStore.Slot> slots = new ArrayList<>();
      List<ShardStore.Rec> recs = new ArrayList<>();
      java.util.Set<Integer> seen = new java.util.HashSet<>();
      int n = 1 + random.nextInt(800);
      for (int i = 0; i < n; i++) {
        int k = random.nextInt(3_000);
        if (seen.add(k)) {
          slots.add(ShardStore.slot(key(k)));
          recs.add(randomRec(random, 1 + random.nextInt(50)));
        }
      }
      if (random.nextBoolean()) {
        // A copy arrives in store order; sometimes test it shuffled too.
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < slots.size(); i++) {
          order.add(i);
        }
        order.sort(Comparator.comparing(i -> StoreCodec.packSlot(slots.get(i).position(), slots.get(i).key()),
            java.util.Arrays::compareUnsigned));
        List<ShardStore.Slot> s2 = order.stream().map(slots::get).toList();
        List<ShardStore.Rec> r2 = order.stream().map(recs::get).toList();
        slots.clear();
        slots.addAll(s2);
        recs.clear();
        recs.addAll(r2);
      }
      boolean[] expectTaken = new boolean[slots.size()];
      ShardStore.Rec[] expectPrevious = new ShardStore.Rec[slots.size()];
      for (int i = 0; i < slots.size(); i++) {
        ShardStore.Rec current = single.putIfAbsent(slots.get(i), recs.get(i));
        expectPrevious[i] = current;
        if (current == null) {
          expectTaken[i] = true;
        } else if (current.version() < recs.get(i).version()) {
          single.put(slots.get(i), recs.get(i));
          expectTaken[i] = true;
        } else {
          expectPrevious[i] = null;
        }
      }
      ShardStore.Taken taken = batched.putNewer(slots.toArray(new ShardStore.Slot[0]),
          recs.toArray(new ShardStore.Rec[0]), true);
      assertThat(taken.taken()).isEqualTo(expectTaken);
      for (int i = 0; i < slots.size(); i++) {
        if (expectTaken[i]) {
          assertThat(taken.previous()[i] == null ? null : describe(taken.previous()[i]))
              .isEqualTo(expectPrevious[i] == null ? null : describe(expectPrevious[i]));
        }
      }
      assertSame(batched, single);
    }
  }

  @Test
  void aCopyThatRepeatsAKeyTakesItsRecordsInOrder() {
    ShardStore store = new ShardStore();
    ShardStore.Slot s = ShardStore.slot(key(1));
    ShardStore.Taken t = store.putNewer(new ShardStore.Slot[] {s, s, s}, new ShardStore.Rec[] {
        new ShardStore.Rec(v("a"), 5), new ShardStore.Rec(v("b"), 3), new ShardStore.Rec(v("c"), 9)}, true);
    assertThat(t.taken()).containsExactly(true, false, true);
    assertThat(store.get(key(1)).value()).isEqualTo(v("c"));
    assertThat(store.size()).isEqualTo(1);
  }

  @Test
  void aPurgeOfRangesLeavesExactlyTheRecordsOutsideThem() {
    Random random = new Random(23);
    long ring = HashRange.RING_SIZE;
    HashRanges doomed = HashRanges.of(List.of(new HashRange(ring / 10, ring / 3),
        new HashRange(ring / 2, ring / 2 + ring / 5)));
    ShardStore store = new ShardStore();
    ShardStore expected = new ShardStore();
    for (int i = 0; i < 20_000; i++) {
      byte[] key = key(i);
      ShardStore.Rec rec = randomRec(random, 1 + random.nextInt(50));
      store.put(key, rec);
      if (!doomed.contains(ShardStore.slot(key).position())) {
        expected.put(key, rec);
      }
    }
    int removed = 0;
    ShardStore.Removal r;
    do {
      r = store.removeIn(doomed, 700);
      removed += r.removed();
    } while (r.more());
    assertThat(removed).isEqualTo(20_000 - expected.size()).isGreaterThan(5_000);
    assertSame(store, expected);
  }

  private static List<Map.Entry<ShardStore.Slot, ShardStore.Rec>> snapshot(ShardStore s) {
    List<Map.Entry<ShardStore.Slot, ShardStore.Rec>> out = new ArrayList<>();
    s.all().forEach(out::add);
    return out;
  }

  private static void assertSame(ShardStore actual, ShardStore expected) {
    assertThat(render(snapshot(actual))).isEqualTo(render(snapshot(expected)));
    assertThat(actual.size()).isEqualTo(expected.size());
    assertThat(actual.tombstoneCount()).isEqualTo(expected.tombstoneCount());
    assertThat(actual.withTtl()).isEqualTo(expected.withTtl());
    assertThat(actual.earliestDeadline()).isEqualTo(expected.earliestDeadline());
    assertThat(render(actual.scanKeys(new byte[0], null, 1_000_000, true, Long.MAX_VALUE, NOW).entries()))
        .isEqualTo(render(expected.scanKeys(new byte[0], null, 1_000_000, true, Long.MAX_VALUE, NOW).entries()));
    assertThat(actual.due(Long.MAX_VALUE, 1_000_000, HashRanges.FULL).stream().map(e -> e.getKey().position())
        .toList()).isEqualTo(expected.due(Long.MAX_VALUE, 1_000_000, HashRanges.FULL).stream()
        .map(e -> e.getKey().position()).toList());
  }

  private static List<String> render(List<?> items) {
    return items.stream().map(ShardStoreBulkTest::render).toList();
  }

  private static String render(Object o) {
    if (o instanceof Map.Entry<?, ?> e) {
      ShardStore.Slot s = (ShardStore.Slot) e.getKey();
      ShardStore.Rec r = (ShardStore.Rec) e.getValue();
      return s.position() + "/" + new String(s.key(), StandardCharsets.UTF_8) + "=" + describe(r);
    }
    io.kvpipe.common.wire.Entry e = (io.kvpipe.common.wire.Entry) o;
    return new String(e.key(), StandardCharsets.UTF_8) + "=" + (e.value() == null ? "-" : new String(e.value(),
        StandardCharsets.UTF_8)) + "@" + e.version() + "/" + e.expiresAtMs();
  }

  private static String describe(ShardStore.Rec r) {
    return (r.value() == null ? "-" : new String(r.value(), StandardCharsets.UTF_8)) + "@" + r.version() + "/"
        + r.expiresAtMs();
  }

  private static ShardStore.Rec randomRec(Random random, long version) {
    int kind = random.nextInt(5);
    if (kind == 0) {
      return new ShardStore.Rec(null, version);
    }
    byte[] value = v("v" + version + "x".repeat(random.nextInt(120)));
    return kind == 1 ? new ShardStore.Rec(value, version, NOW + random.nextInt(100_000)) : new ShardStore.Rec(value,
        version, Ttl.NONE);
  }

  private static byte[] key(int i) {
    return String.format("key-%05d", i).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] v(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
