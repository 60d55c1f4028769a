package io.kvpipe.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VersionsTest {
  @Test
  void packsAndUnpacks() {
    long v = Versions.of(7, 123_456_789L);
    assertThat(Versions.epoch(v)).isEqualTo(7);
    assertThat(Versions.logIndex(v)).isEqualTo(123_456_789L);
  }

  @Test
  void aHigherEpochAlwaysWinsOverAnyIndex() {
    assertThat(Versions.of(2, 0)).isGreaterThan(Versions.of(1, Versions.MAX_INDEX));
    assertThat(Versions.of(1, 11)).isGreaterThan(Versions.of(1, 10));
    assertThat(Versions.of(Versions.MAX_EPOCH, Versions.MAX_INDEX)).isPositive();
  }

  @Test
  void rejectsOutOfRangeParts() {
    assertThatThrownBy(() -> Versions.of(0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Versions.of(1, Versions.MAX_INDEX + 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Versions.of(Versions.MAX_EPOCH + 1, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
