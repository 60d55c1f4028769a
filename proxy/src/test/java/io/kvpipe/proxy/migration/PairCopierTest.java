package io.kvpipe.proxy.migration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.wire.ScanCursor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a pair's ranges are cut into scan lanes, from the start and from a saved cursor. */
class PairCopierTest {
  private static final HashRanges FOUR = HashRanges.of(List.of(new HashRange(0, 100), new HashRange(200, 300),
      new HashRange(400, 500), new HashRange(600, 700)));

  private static PairCopier copier() {
    return new PairCopier(null, new MigrationPlan.Transfer("g1", "g3", FOUR), null, null, null, () -> 10, null,
        n -> {});
  }

  @Test
  void lanesSplitTheRangesInOrderAndEachLaterLaneStartsJustBeforeItsFirstRange() {
    var lanes = copier().lanes(FOUR, null, 2);
    assertEquals(2, lanes.size());
    assertEquals(List.of(new HashRange(0, 100), new HashRange(200, 300)), rangesOf(lanes.get(0)));
    assertNull(startOf(lanes.get(0)));
    assertEquals(List.of(new HashRange(400, 500), new HashRange(600, 700)), rangesOf(lanes.get(1)));
    assertEquals(400, startOf(lanes.get(1)).position());
    assertArrayEquals(new byte[0], startOf(lanes.get(1)).key());
  }

  @Test
  void aResumeSkipsTheRangesBeforeTheSavedCursorAndTheFirstLaneStartsAtIt() {
    ScanCursor saved = new ScanCursor(250, "k".getBytes());
    var lanes = copier().lanes(FOUR, saved, 2);
    assertEquals(List.of(new HashRange(200, 300)), rangesOf(lanes.get(0)));
    assertEquals(saved, startOf(lanes.get(0)));
    assertEquals(List.of(new HashRange(400, 500), new HashRange(600, 700)), rangesOf(lanes.get(1)));
  }

  @Test
  void neverMoreLanesThanRangesLeft() {
    assertEquals(1, copier().lanes(FOUR, new ScanCursor(650, "k".getBytes()), 4).size());
    assertEquals(1, copier().lanes(HashRanges.of(List.of(new HashRange(0, 10))), null, 2).size());
  }

  private static List<HashRange> rangesOf(PairCopier.Lane lane) {
    return lane.ranges().ranges();
  }

  private static ScanCursor startOf(PairCopier.Lane lane) {
    return lane.start();
  }
}
