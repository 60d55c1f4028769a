package io.kvpipe.proxy.migration;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ThrottleTest {
  @Test
  void waitsInProportionToTheRateAndFollowsRateChanges() {
    AtomicLong now = new AtomicLong();
    Throttle t = new Throttle(1000, now::get);
    // A fresh bucket starts empty: half a second's keys cost half a second.
    assertThat(t.reserve(500)).isEqualTo(500_000_000L);
    now.addAndGet(500_000_000L);
    t.setRate(2000);
    assertThat(t.reserve(1000)).isEqualTo(500_000_000L);
  }

  @Test
  void unlimitedNeverWaitsAndALimitSpacesBatches() {
    AtomicLong now = new AtomicLong();
    Throttle t = new Throttle(0, now::get);
    assertThat(t.reserve(1_000_000)).isZero();
    t.setRate(1000);
    long first = t.reserve(1000);
    long second = t.reserve(1000);
    assertThat(second - first).isEqualTo(1_000_000_000L);
    now.addAndGet(5_000_000_000L); // long idle: at most one second's tokens accumulate
    assertThat(t.reserve(1000)).isZero();
    assertThat(t.reserve(1000)).isEqualTo(1_000_000_000L);
    t.setRate(0);
    assertThat(t.reserve(10_000)).isZero();
  }
}
