package io.kvpipe.node.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** A frozen view reads the records as they were at the freeze, whatever the apply thread does meanwhile. */
class ShardStoreFrozenTest {
  static final int KEYS = 400;

  static byte[] key(int i) {
    return ("k" + i).getBytes(StandardCharsets.UTF_8);
  }

  /** Key → "value@version" or "tombstone@version": what a snapshot of the store holds. */
  static Map<String, String> contents(ShardStore store) {
    Map<String, String> out = new TreeMap<>();
    store.all().forEach(e -> out.put(text(e.getKey()), text(e.getValue())));
    return out;
  }

  static Map<String, String> contents(FrozenRecords frozen) {
    Map<String, String> out = new TreeMap<>();
    frozen.forEach((slot, rec) -> {
      String previous = out.put(text(slot), text(rec));
      assertThat(previous).as("a record given twice: " + text(slot)).isNull();
    });
    assertThat(out).hasSize(frozen.size());
    return out;
  }

  static String text(ShardStore.Slot s) {
    return new String(s.key(), StandardCharsets.UTF_8);
  }

  static String text(ShardStore.Rec r) {
    return (r.live() ? new String(r.value(), StandardCharsets.UTF_8) : "tombstone") + "@" + r.version();
  }

  /** One random apply-thread change: put, tombstone, copy-if-absent, a bounded purge or tombstone collection. */
  static void mutate(ShardStore store, Random random, long version) {
    byte[] k = key(random.nextInt(KEYS));
    switch (random.nextInt(10)) {
      case 0, 1, 2, 3 -> store.put(k, new ShardStore.Rec(("v" + version).getBytes(StandardCharsets.UTF_8), version));
      case 4, 5 -> store.put(k, new ShardStore.Rec(null, version));
      case 6 -> store.putIfAbsent(ShardStore.slot(k), new ShardStore.Rec(new byte[] {1}, version));
      case 7 -> {
        long start = random.nextLong(HashRange.RING_SIZE - 1);
        store.removeIn(HashRanges.of(List.of(new HashRange(start, Math.min(HashRange.RING_SIZE,
            start + HashRange.RING_SIZE / 50)))), 1 + random.nextInt(5));
      }
      default -> store.removeTombstonesIn(HashRanges.FULL, 1 + random.nextInt(3));
    }
  }

  @Test
  void changesAfterTheFreezeAreInvisibleToTheView() {
    Random random = new Random(11);
    for (int round = 0; round < 50; round++) {
      ShardStore store = new ShardStore();
      long version = 0;
      for (int i = 0; i < 300; i++) {
        mutate(store, random, ++version);
      }
      Map<String, String> atFreeze = contents(store);
      FrozenRecords frozen = store.freeze();
      for (int i = 0; i < 300; i++) {
        mutate(store, random, ++version);
      }
      assertThat(contents(frozen)).isEqualTo(atFreeze);
      frozen.release();
      // Released: the next view starts afresh.
      Map<String, String> now = contents(store);
      FrozenRecords next = store.freeze();
      assertThat(contents(next)).isEqualTo(now);
      next.release();
    }
  }

  @Test
  void aViewReadWhileTheApplyThreadChangesTheStoreStillSeesTheFreeze() throws Exception {
    Random random = new Random(5);
    ShardStore store = new ShardStore();
    long version = 0;
    for (int i = 0; i < 2_000; i++) {
      mutate(store, random, ++version);
    }
    for (int round = 0; round < 60; round++) {
      Map<String, String> atFreeze = contents(store);
      FrozenRecords frozen = store.freeze();
      CompletableFuture<Map<String, String>> read = CompletableFuture.supplyAsync(() -> contents(frozen));
      while (!read.isDone()) {
        mutate(store, random, ++version);
      }
      assertThat(read.get()).isEqualTo(atFreeze);
      frozen.release();
    }
  }
}
