package io.kvpipe.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CallerDeadlineTest {
  @Test
  void outsideAScopeACallUsesItsOwnTimeout() {
    assertThat(CallerDeadline.isSet()).isFalse();
    assertThat(CallerDeadline.deadlineOr(1_000, 500)).isEqualTo(1_500);
  }

  @Test
  void aNestedScopeKeepsTheEarlierDeadlineAndEachScopeIsUndoneOnExit() {
    long seen = CallerDeadline.within(100, () -> {
      long inner = CallerDeadline.within(200, () -> CallerDeadline.deadlineOr(0, 999));
      assertThat(CallerDeadline.within(50, () -> CallerDeadline.deadlineOr(0, 999))).isEqualTo(50);
      assertThat(CallerDeadline.deadlineOr(0, 999)).isEqualTo(100);
      return inner;
    });
    assertThat(seen).isEqualTo(100);
    assertThat(CallerDeadline.isSet()).isFalse();
  }

  @Test
  void aCallThatThrowsLeavesNoScopeBehind() {
    assertThatThrownBy(() -> CallerDeadline.within(100, () -> {
      throw new IllegalStateException("boom");
    })).isInstanceOf(IllegalStateException.class);
    assertThat(CallerDeadline.isSet()).isFalse();
  }

  @Test
  void deadlinesCompareAcrossTheNanoTimeWrap() {
    long nearWrap = Long.MAX_VALUE - 10;
    long afterWrap = nearWrap + 20; // negative, yet later
    assertThat(CallerDeadline.within(nearWrap, () -> CallerDeadline.within(afterWrap,
        () -> CallerDeadline.deadlineOr(0, 0)))).isEqualTo(nearWrap);
  }
}
