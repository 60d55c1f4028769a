package io.kvpipe.node.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.ScanCursor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The store's range paths over the 4-byte ring positions of its records index (d7f7c3c), against a model: records at
 * the ring's edges (0, 2^31 - 1, 2^31, 2^32 - 1 and their neighbours; several keys per position, keys that are
 * prefixes of one another, the empty key) and range sets whose bounds fall on those positions, a range ending at
 * 2^32 among them. Paged scans (every page size from 1, resumed from the cursor), bounded removals, and the frozen
 * view see exactly the model's records, in store order.
 */
class ShardStoreRingEdgeTest {
  private static final long TOP = HashRange.RING_SIZE;
  private static final long[] EDGES = {0, 1, 2, 255, 256, (1L << 31) - 1, 1L << 31, (1L << 31) + 1, TOP - 256,
      TOP - 2, TOP - 1};
  private static final byte[][] KEYS = {{}, {'a'}, {'a', 0}, {'a', 'b'}, {'a', (byte) 0xFF}, {0}, {(byte) 0xFF},
      {(byte) 0xFF, (byte) 0xFF}, {'b'}};

  private static long edge(Random random) {
    return EDGES[random.nextInt(EDGES.length)];
  }

  /** Store order: position, then key unsigned. */
  private static String id(long position, byte[] key) {
    return String.format("%010d/%s", position, HexFormat.of().formatHex(key));
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
  void rangePathsAtTheRingsEdgesMatchAModel(long seed) {
    Random random = new Random(seed);
    ShardStore store = new ShardStore();
    // Keys are distinct (the key index holds one record per key); positions are set, not hashed, to sit on the edges.
    TreeMap<String, Long> positions = new TreeMap<>(); // the model: id -> position; ids sort in store order
    TreeSet<byte[]> used = new TreeSet<>(Arrays::compareUnsigned);
    for (int i = 0; i < 60; i++) {
      byte[] base = KEYS[random.nextInt(KEYS.length)];
      byte[] key = random.nextInt(3) == 0 ? base : Arrays.copyOf(base, base.length + 1 + random.nextInt(2));
      for (int j = base.length; j < key.length; j++) {
        key[j] = (byte) (random.nextBoolean() ? 0 : 0xFF);
      }
      if (!used.add(key)) {
        continue;
      }
      long position = random.nextInt(4) == 0 ? (random.nextLong() >>> 32) : edge(random);
      store.put(new ShardStore.Slot(position, key), new ShardStore.Rec(new byte[] {(byte) i}, 1));
      positions.put(id(position, key), position);
    }
    for (int round = 0; round < 40; round++) {
      List<HashRange> parts = new ArrayList<>();
      for (int n = 1 + random.nextInt(3); n > 0; n--) {
        long a = edge(random);
        long b = random.nextInt(3) == 0 ? TOP : random.nextBoolean() ? a + 1 : edge(random) + 1;
        if (a < b) {
          parts.add(new HashRange(a, b));
        }
      }
      if (parts.isEmpty()) {
        parts.add(new HashRange(edge(random), TOP));
      }
      HashRanges ranges = HashRanges.of(parts);
      List<String> expected = new ArrayList<>();
      positions.forEach((id, p) -> {
        if (ranges.contains(p)) {
          expected.add(id);
        }
      });
      int page = 1 + random.nextInt(5);
      List<String> scanned = new ArrayList<>();
      ScanCursor cursor = null;
      do {
        ShardStore.ScanResult r = store.scan(ranges, cursor, page);
        for (Entry e : r.entries()) {
          scanned.add(idOf(positions, e.key()));
        }
        cursor = r.next();
      } while (cursor != null);
      assertThat(scanned).as("paged scan (%d) of %s", page, ranges).isEqualTo(expected);
    }
    // Bounded removals of a range set with the ring's end take exactly its records, the rest stay.
    HashRanges doomed = HashRanges.of(List.of(new HashRange(0, 2), new HashRange((1L << 31) - 1, (1L << 31) + 1),
        new HashRange(TOP - 2, TOP)));
    int expectedGone = (int) positions.values().stream().filter(doomed::contains).count();
    int gone = 0;
    ShardStore.Removal removal;
    do {
      removal = store.removeIn(doomed, 1 + random.nextInt(3));
      gone += removal.removed();
    } while (removal.more());
    assertThat(gone).isEqualTo(expectedGone);
    List<String> left = new ArrayList<>();
    positions.forEach((id, p) -> {
      if (!doomed.contains(p)) {
        left.add(id);
      }
    });
    List<String> frozen = new ArrayList<>();
    FrozenRecords f = store.freeze();
    f.forEach((slot, rec) -> frozen.add(id(slot.position(), slot.key())));
    f.release();
    assertThat(frozen).isEqualTo(left);
    assertThat(store.size()).isEqualTo(left.size());
  }

  private static String idOf(TreeMap<String, Long> positions, byte[] key) {
    String suffix = "/" + HexFormat.of().formatHex(key);
    return positions.keySet().stream().filter(id -> id.endsWith(suffix)).findFirst().orElseThrow();
  }
}
