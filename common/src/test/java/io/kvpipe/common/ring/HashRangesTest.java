package io.kvpipe.common.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class HashRangesTest {
  @Test
  void mergesOverlappingAndAdjacentRanges() {
    HashRanges r = HashRanges.of(List.of(new HashRange(10, 20), new HashRange(0, 5), new HashRange(20, 30),
        new HashRange(25, 40)));
    assertThat(r.ranges()).containsExactly(new HashRange(0, 5), new HashRange(10, 40));
    assertThat(r.width()).isEqualTo(35);
  }

  @Test
  void containsUsesHalfOpenIntervals() {
    HashRanges r = HashRanges.of(List.of(new HashRange(10, 20), new HashRange(30, 40)));
    assertThat(r.contains(9)).isFalse();
    assertThat(r.contains(10)).isTrue();
    assertThat(r.contains(19)).isTrue();
    assertThat(r.contains(20)).isFalse();
    assertThat(r.contains(35)).isTrue();
    assertThat(r.contains(40)).isFalse();
    assertThat(HashRanges.EMPTY.contains(0)).isFalse();
    assertThat(HashRanges.FULL.contains(HashRange.RING_SIZE - 1)).isTrue();
  }

  @Test
  void setAlgebra() {
    HashRanges a = HashRanges.of(List.of(new HashRange(0, 100)));
    HashRanges b = HashRanges.of(List.of(new HashRange(20, 30), new HashRange(90, 150)));
    assertThat(a.minus(b).ranges()).containsExactly(new HashRange(0, 20), new HashRange(30, 90));
    assertThat(a.intersect(b).ranges()).containsExactly(new HashRange(20, 30), new HashRange(90, 100));
    assertThat(a.union(b).ranges()).containsExactly(new HashRange(0, 150));
    assertThat(a.minus(a).isEmpty()).isTrue();
  }

  @Test
  void rejectsEmptyOrOutOfRingRanges() {
    assertThatThrownBy(() -> new HashRange(5, 5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new HashRange(-1, 5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new HashRange(0, HashRange.RING_SIZE + 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
