package io.kvpipe.node.shard;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.Ttl;
import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.wire.Entry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link StoreCodec}: a record's version is packed as a varint; every width it can take (1 to 10 bytes, at each 7-bit
 * boundary) reads back as written, with and without a deadline and a value, and the value after it is not shifted; a
 * slot's ring position takes 4 bytes and the packed slots keep the store's order over the whole ring.
 */
class StoreCodecTest {
  private static final long[] VERSIONS = {0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 1L << 35,
      (1L << 56) - 1, 1L << 56, Long.MAX_VALUE, -1, Long.MIN_VALUE};

  @Test
  void everyVersionWidthReadsBackWithValueAndDeadline() {
    ShardStore store = new ShardStore();
    byte[] value = "v".repeat(100).getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < VERSIONS.length; i++) {
      long version = VERSIONS[i];
      byte[] plain = ("plain" + i).getBytes(StandardCharsets.UTF_8);
      byte[] withTtl = ("ttl" + i).getBytes(StandardCharsets.UTF_8);
      byte[] gone = ("gone" + i).getBytes(StandardCharsets.UTF_8);
      store.put(plain, new ShardStore.Rec(value, version));
      store.put(withTtl, new ShardStore.Rec(value, version, 1_700_000_000_123L + i));
      store.put(gone, new ShardStore.Rec(null, version));

      assertThat(store.get(plain)).satisfies(r -> {
        assertThat(r.version()).isEqualTo(version);
        assertThat(r.value()).isEqualTo(value);
        assertThat(r.expiresAtMs()).isEqualTo(Ttl.NONE);
      });
      int n = i;
      assertThat(store.get(withTtl)).satisfies(r -> {
        assertThat(r.version()).isEqualTo(version);
        assertThat(r.value()).isEqualTo(value);
        assertThat(r.expiresAtMs()).isEqualTo(1_700_000_000_123L + n);
      });
      assertThat(store.get(gone)).satisfies(r -> {
        assertThat(r.version()).isEqualTo(version);
        assertThat(r.live()).isFalse();
      });
    }
  }

  @Test
  void aSmallVersionTakesFewBytes() {
    // The point of the varint (issue 15): a log index of a million fits in 3 bytes, not 8.
    assertThat(Varints.size(1_000_000)).isEqualTo(3);
    assertThat(StoreCodec.packRec(new ShardStore.Rec(new byte[100], 1_000_000))).hasSize(1 + 3 + 100);
  }

  @Test
  void aSlotsPositionTakesFourBytesAndPackedSlotsKeepTheStoresOrder() {
    byte[] key = "k".repeat(16).getBytes(StandardCharsets.UTF_8);
    assertThat(StoreCodec.packSlot(HashRing.position(key), key)).hasSize(4 + 16);
    // Positions at the edges of the 32-bit ring, where a signed or narrower encoding would misorder them.
    long[] positions = {0, 1, 255, 256, (1L << 31) - 1, 1L << 31, (1L << 31) + 1, HashRange.RING_SIZE - 2,
        HashRange.RING_SIZE - 1};
    List<ShardStore.Slot> slots = new ArrayList<>();
    for (long p : positions) {
      for (String k : new String[] {"", "a", "ab", "b"}) {
        slots.add(new ShardStore.Slot(p, k.getBytes(StandardCharsets.UTF_8)));
      }
    }
    List<ShardStore.Slot> byCodec = new ArrayList<>(slots);
    byCodec.sort(Comparator.comparing(s -> StoreCodec.packSlot(s.position(), s.key()), Arrays::compareUnsigned));
    List<ShardStore.Slot> byOrder = new ArrayList<>(slots);
    byOrder.sort(Comparator.comparingLong(ShardStore.Slot::position)
        .thenComparing(ShardStore.Slot::key, Arrays::compareUnsigned));
    assertThat(byCodec).isEqualTo(byOrder);
    assertThatThrownBy(() -> StoreCodec.packSlot(HashRange.RING_SIZE, key)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> StoreCodec.packSlot(-1, key)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aScanUpToTheRingsEndFindsTheRecordsAtItsTopPositions() {
    // The end of the ring (2^32) has no 4-byte packed slot: a range ending there is read unbounded.
    ShardStore store = new ShardStore();
    Random random = new Random(15);
    List<byte[]> high = new ArrayList<>();
    int all = 0;
    while (high.size() < 3) {
      byte[] key = new byte[16];
      random.nextBytes(key);
      long position = HashRing.position(key);
      if (position >= HashRange.RING_SIZE - (1L << 22)) {
        high.add(key);
      } else if (all > 2_000) {
        continue;
      }
      store.put(key, new ShardStore.Rec(new byte[] {1}, 1));
      all++;
    }
    assertThat(store.scan(HashRanges.FULL, null, Integer.MAX_VALUE).entries()).hasSize(all);
    HashRange top = new HashRange(HashRange.RING_SIZE - (1L << 22), HashRange.RING_SIZE);
    List<Entry> found = store.scan(HashRanges.of(List.of(top)), null, Integer.MAX_VALUE).entries();
    assertThat(found).extracting(Entry::key).containsExactlyInAnyOrderElementsOf(high);
    assertThat(store.removeIn(HashRanges.of(List.of(top)), Integer.MAX_VALUE).removed()).isEqualTo(3);
    assertThat(store.size()).isEqualTo(all - 3);
  }
}
