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
  void resetJumpsToAHigherConfirmedIndex() {
    AckTracker t = new AckTracker(3);
    assertThat(t.reset(9)).isEqualTo(9);
    assertThat(t.highestRegistered()).isEqualTo(9);
  }
}
