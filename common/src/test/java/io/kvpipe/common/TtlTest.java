package io.kvpipe.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import org.junit.jupiter.api.Test;

class TtlTest {
  @Test
  void parsesWholeNumbersWithAUnitOrSecondsWithout() {
    assertThat(Ttl.parse("30s", "ttl")).isEqualTo(30_000);
    assertThat(Ttl.parse("30", "ttl")).isEqualTo(30_000);
    assertThat(Ttl.parse("1500ms", "ttl")).isEqualTo(1_500);
    assertThat(Ttl.parse("5m", "ttl")).isEqualTo(300_000);
    assertThat(Ttl.parse("2h", "ttl")).isEqualTo(7_200_000);
    assertThat(Ttl.parse("7d", "ttl")).isEqualTo(604_800_000);
    assertThat(Ttl.parse(" 1ms ", "ttl")).isEqualTo(1);
    assertThat(Ttl.parse("3650d", "ttl")).isEqualTo(Ttl.MAX_MS);
  }

  @Test
  void refusesEverythingElseNamingTheInput() {
    for (String bad : new String[] {"0", "0ms", "-1", "-5s", "1.5s", "abc", "30x", "s", "", " ", "5 s", "3651d",
        "99999999999999999999", "9223372036854775807ms", "1e3", "+5", "10S", "0x10"}) {
      assertThatThrownBy(() -> Ttl.parse(bad, "ttl")).as(bad).isInstanceOfSatisfying(KvException.class, e -> {
        assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
        assertThat(e.getMessage()).startsWith("ttl");
      });
    }
    assertThatThrownBy(() -> Ttl.parse(null, "ttl")).isInstanceOf(KvException.class);
  }

  @Test
  void deadlinesAndExpiry() {
    assertThat(Ttl.deadline(1_000, Ttl.NONE)).isEqualTo(Ttl.NONE);
    assertThat(Ttl.deadline(1_000, 500)).isEqualTo(1_500);
    assertThat(Ttl.expired(1_500, 1_499)).isFalse();
    assertThat(Ttl.expired(1_500, 1_500)).isTrue();
    assertThat(Ttl.expired(Ttl.NONE, Long.MAX_VALUE)).isFalse();
    assertThat(Ttl.check(Ttl.NONE, "ttl")).isZero();
    assertThatThrownBy(() -> Ttl.check(-1, "ttl")).isInstanceOf(KvException.class);
    assertThatThrownBy(() -> Ttl.check(Ttl.MAX_MS + 1, "ttl")).isInstanceOf(KvException.class);
  }
}
