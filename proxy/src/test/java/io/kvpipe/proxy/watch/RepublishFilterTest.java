package io.kvpipe.proxy.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RepublishFilterTest {
  static ChangeEvent event(String group, long index, int seq) {
    return new ChangeEvent(Op.UPDATE, "k" + index, null, new byte[] {1}, 0, group, index, seq, 1, 1, index,
        Origin.CLIENT);
  }

  @Test
  void aRepeatedIdentityWithinTheWindowIsARepeat() {
    RepublishFilter f = new RepublishFilter(1, 3);
    assertThat(f.isRepeat(0, 10, event("g1", 5, 0))).isFalse();
    assertThat(f.isRepeat(0, 11, event("g1", 5, 1))).as("another seq of the entry").isFalse();
    assertThat(f.isRepeat(0, 12, event("g2", 5, 0))).as("another group").isFalse();
    assertThat(f.isRepeat(0, 13, event("g1", 5, 0))).as("republished 3 records later").isTrue();
    assertThat(f.isRepeat(0, 17, event("g1", 5, 1))).as("beyond the window").isFalse();
    assertThat(f.size(0)).isLessThanOrEqualTo(4);
  }

  /** Two readers, one started long before the other's position, decide alike from that position on. */
  @Test
  void readersStartingWindowBeforeAPositionDecideLikeTheLiveReader() {
    Random rnd = new Random(42);
    int window = 50;
    List<ChangeEvent> log = new ArrayList<>();
    long index = 0;
    for (int i = 0; i < 5_000; i++) {
      if (!log.isEmpty() && rnd.nextInt(10) == 0) { // a leader change republishes a recent stretch
        int back = 1 + rnd.nextInt(Math.min(40, log.size()));
        log.add(log.get(log.size() - back));
      } else {
        log.add(event("g" + rnd.nextInt(3), ++index, 0));
      }
    }
    RepublishFilter live = new RepublishFilter(1, window);
    boolean[] liveSays = new boolean[log.size()];
    for (int o = 0; o < log.size(); o++) {
      liveSays[o] = live.isRepeat(0, o, log.get(o));
    }
    for (int from : new int[] {0, 1, 49, 50, 51, 777, 2_500, 4_999}) {
      RepublishFilter resumed = new RepublishFilter(1, window);
      for (int o = Math.max(0, from - window); o < log.size(); o++) {
        boolean says = resumed.isRepeat(0, o, log.get(o));
        if (o >= from) {
          assertThat(says).as("offset " + o + " for a reader resuming at " + from).isEqualTo(liveSays[o]);
        }
      }
    }
  }
}
