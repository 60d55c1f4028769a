package io.kvpipe.node.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AckTrackerTest {
  @Test
  void frontierAdvancesOnlyOverAContiguousAckedPrefix() {
    AckTracker t = new AckTracker(10);
    AckTracker.Slot s11 = t.register(11, 1);
    AckTracker.Slot s12 = t.register(12, 1);
    AckTracker.Slot s13 = t.register(13, 1);

    t.acked(s13); // another partition answered first
    t.acked(s12);
    assertThat(t.ackedUpTo()).isEqualTo(10);
    assertThat(t.unackedEvents()).isEqualTo(1);

    t.acked(s11);
    assertThat(t.ackedUpTo()).isEqualTo(13);
    assertThat(t.unackedEvents()).isZero();
  }

  @Test
  void anIndexWithSeveralEventsNeedsAllOfThem() {
    AckTracker t = new AckTracker(0);
    AckTracker.Slot s1 = t.register(1, 3);
    t.acked(s1);
    t.acked(s1);
    assertThat(t.ackedUpTo()).isZero();
    t.acked(s1);
    assertThat(t.ackedUpTo()).isEqualTo(1);
    assertThatThrownBy(() -> t.acked(s1)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void indexesMustBeRegisteredInIncreasingOrder() {
    AckTracker t = new AckTracker(5);
    assertThatThrownBy(() -> t.register(5, 1)).isInstanceOf(IllegalArgumentException.class);
    t.register(7, 1);
    assertThatThrownBy(() -> t.register(6, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void resetIgnoresAcksAndFailuresOfTheAbandonedGeneration() {
    AckTracker t = new AckTracker(0);
    AckTracker.Slot s1 = t.register(1, 1);
    AckTracker.Slot s2 = t.register(2, 1);
    t.acked(s1);
    assertThat(t.failed(s2, new RuntimeException("boom"))).isTrue();

    assertThat(t.reset(0)).isEqualTo(1);
    assertThat(t.takeFailure()).isNull();
    assertThat(t.acked(s2)).isFalse();
    assertThat(t.failed(s2, new RuntimeException("late"))).isFalse();
    assertThat(t.takeFailure()).isNull();
    assertThat(t.ackedUpTo()).isEqualTo(1);
    assertThat(t.unackedEvents()).isZero();

    AckTracker.Slot again = t.register(2, 1);
    t.acked(again);
    assertThat(t.ackedUpTo()).isEqualTo(2);
  }

  @Test
  void chunksOfOneIndexMoveAPartialFrontierThatAResetKeeps() {
    AckTracker t = new AckTracker(4);
    AckTracker.Slot a = t.register(5, 0, 2, 20, false);
    AckTracker.Slot b = t.register(5, 2, 2, 20, false);
    assertThatThrownBy(() -> t.register(5, 5, 1, 10, true)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> t.register(6, 0, 1, 10, true)).isInstanceOf(IllegalArgumentException.class);
    AckTracker.Slot c = t.register(5, 4, 1, 10, true);
    assertThat(t.unackedBytes()).isEqualTo(50);
    t.acked(a, 10);
    t.acked(a, 10);
    assertThat(t.ackedUpTo()).isEqualTo(4);
    assertThat(t.ackedOpenIndex()).isEqualTo(5);
    assertThat(t.ackedOpenSeq()).isEqualTo(2);
    assertThat(t.unackedBytes()).isEqualTo(30);
    t.acked(c, 10); // another partition first: the frontier waits for b
    assertThat(t.ackedOpenSeq()).isEqualTo(2);

    assertThat(t.reset(0)).isEqualTo(4);
    assertThat(t.acked(b, 10)).isFalse();
    assertThat(t.registeringIndex()).isEqualTo(5);
    assertThat(t.registeringSeq()).as("the resend starts at the first unacknowledged chunk").isEqualTo(2);
    assertThat(t.unackedBytes()).isZero();
    AckTracker.Slot again = t.register(5, 2, 3, 30, true);
    for (int i = 0; i < 3; i++) {
      t.acked(again, 10);
    }
    assertThat(t.ackedUpTo()).isEqualTo(5);
    assertThat(t.ackedOpenIndex()).isZero();
    assertThat(t.highestRegistered()).isEqualTo(5);
  }

  @Test
  void aConfirmedIndexPastAPartialFrontierDropsIt() {
    AckTracker t = new AckTracker(0);
    AckTracker.Slot a = t.register(1, 0, 1, 0, false);
    t.acked(a);
    assertThat(t.ackedOpenIndex()).isEqualTo(1);
    assertThat(t.reset(1)).isEqualTo(1);
    assertThat(t.registeringIndex()).isZero();
    t.register(2, 0, 1, 0, true);
  }

  @Test
  void resetJumpsToAHigherConfirmedIndex() {
    AckTracker t = new AckTracker(3);
    assertThat(t.reset(9)).isEqualTo(9);
    assertThat(t.highestRegistered()).isEqualTo(9);
  }
}
