package io.kvpipe.proxy.kv;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.wire.Entry;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MovingKeysTest {
  static Optional<Entry> rec(String value, long version) {
    return Optional.of(new Entry("k".getBytes(), value == null ? null : value.getBytes(), version));
  }

  @Test
  void theNewerRecordWinsTombstonesIncluded() {
    assertThat(MovingKeys.newer(Optional.empty(), Optional.empty())).isEmpty();
    assertThat(MovingKeys.newer(rec("a", 5), Optional.empty()).orElseThrow().version()).isEqualTo(5);
    assertThat(MovingKeys.newer(Optional.empty(), rec("b", 3)).orElseThrow().version()).isEqualTo(3);
    assertThat(MovingKeys.newer(rec("old", 5), rec("new", 9)).orElseThrow().version()).isEqualTo(9);
    assertThat(MovingKeys.newer(rec("new", 9), rec(null, 5)).orElseThrow().deleted()).isFalse();
    assertThat(MovingKeys.newer(rec("old", 5), rec(null, 9)).orElseThrow().deleted()).isTrue();
  }
}
