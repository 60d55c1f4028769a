package io.kvpipe.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.ring.HashRing;
import io.kvpipe.testsupport.check.Op;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AvailabilityTest {
  private static final long MS = 1_000_000;

  @Test
  void theLongestGapOverlappingTheWindowCounts() {
    List<Long> acks = List.of(0L, 100 * MS, 200 * MS, 1_500 * MS, 1_600 * MS, 5_000 * MS);
    assertThat(Availability.longestGap(acks, 150 * MS, 1_550 * MS)).isEqualTo(1_300 * MS);
    assertThat(Availability.longestGap(acks, 1_550 * MS, 1_560 * MS)).isEqualTo(100 * MS);
    // Nothing acknowledged after the window: open until its end.
    assertThat(Availability.longestGap(acks, 6_000 * MS, 9_000 * MS)).isEqualTo(3_000 * MS);
  }

  @Test
  void aGapIsCountedForTheFaultItFollowsUntilTheNextStarts() {
    HashRing ring = HashRing.of(List.of("g1", "g2"), 16);
    List<Op> ops = new ArrayList<>();
    long[] times = {0, 100, 200, 4_200, 4_300, 20_000};
    for (int i = 0; i < times.length; i++) {
      ops.add(Op.put(i, 0, "k", Op.ANY, "v" + i, times[i] * MS, times[i] * MS, Op.Outcome.OK, i + 1, null));
    }
    List<Timeline.Event> faults = List.of(
        new Timeline.Event("kill", "n1", 150 * MS, 1_000 * MS, true, null),
        new Timeline.Event("pause", "n2", 4_250 * MS, 4_260 * MS, true, null));
    List<Availability.PerKind> r = Availability.measure(ops, faults, ring);
    assertThat(r).extracting(Availability.PerKind::kind).containsExactly("kill", "pause");
    assertThat(r.get(0).maxMs()).isEqualTo(4_000);
    assertThat(r.get(1).maxMs()).isEqualTo(15_700);
  }
}
