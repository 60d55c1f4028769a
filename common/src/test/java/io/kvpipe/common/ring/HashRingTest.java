package io.kvpipe.common.ring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HashRingTest {
  private static final int KEYS = 100_000;

  @Test
  void ownershipPartitionsTheWholeRing() {
    HashRing ring = HashRing.of(List.of("g1", "g2", "g3"), HashRing.DEFAULT_VNODES);
    Map<String, HashRanges> own = ring.ownership();
    HashRanges all = HashRanges.EMPTY;
    long width = 0;
    for (HashRanges r : own.values()) {
      assertThat(all.intersect(r).isEmpty()).as("ranges of different groups overlap").isTrue();
      all = all.union(r);
      width += r.width();
    }
    assertThat(all).isEqualTo(HashRanges.FULL);
    assertThat(width).isEqualTo(HashRange.RING_SIZE);
  }

  @Test
  void groupForAgreesWithOwnership() {
    HashRing ring = HashRing.of(List.of("a", "b", "c", "d"), 64);
    Map<String, HashRanges> own = ring.ownership();
    for (int i = 0; i < 20_000; i++) {
      byte[] key = key(i);
      String g = ring.groupFor(key);
      assertThat(own.get(g).contains(HashRing.position(key))).isTrue();
    }
  }

  @Test
  void ringIsIndependentOfGroupOrder() {
    HashRing r1 = HashRing.of(List.of("g1", "g2", "g3"), 128);
    HashRing r2 = HashRing.of(List.of("g3", "g1", "g2"), 128);
    assertThat(r1.ownership()).isEqualTo(r2.ownership());
  }

  @Test
  void spreadsKeysEvenly() {
    HashRing ring = HashRing.of(List.of("g1", "g2", "g3"), HashRing.DEFAULT_VNODES);
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < KEYS; i++) {
      counts.merge(ring.groupFor(key(i)), 1, Integer::sum);
    }
    assertThat(counts).hasSize(3);
    counts.values().forEach(c -> assertThat(c / (double) KEYS).isBetween(0.25, 0.42));
  }

  @Test
  void addingAGroupMovesAboutOneOverNPlusOneOfTheKeysAndOnlyToTheNewGroup() {
    HashRing before = HashRing.of(List.of("g1", "g2"), HashRing.DEFAULT_VNODES);
    HashRing after = HashRing.of(List.of("g1", "g2", "g3"), HashRing.DEFAULT_VNODES);
    int moved = 0;
    for (int i = 0; i < KEYS; i++) {
      byte[] k = key(i);
      String from = before.groupFor(k);
      String to = after.groupFor(k);
      if (!from.equals(to)) {
        moved++;
        assertThat(to).isEqualTo("g3");
      }
    }
    assertThat(moved / (double) KEYS).isBetween(1.0 / 3 - 0.05, 1.0 / 3 + 0.05);
  }

  private static byte[] key(int i) {
    return ("user:" + i).getBytes(StandardCharsets.UTF_8);
  }
}
