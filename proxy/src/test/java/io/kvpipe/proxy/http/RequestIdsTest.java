package io.kvpipe.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RequestIdsTest {
  @Test
  void aPlainIdIsKept() {
    assertThat(RequestIds.of("abc-DEF_1.2:3")).isEqualTo("abc-DEF_1.2:3");
    assertThat(RequestIds.of("x".repeat(64))).isEqualTo("x".repeat(64));
  }

  @Test
  void missingLongOrOddIdsAreReplacedByNewOnes() {
    for (String bad : new String[] {null, "", "x".repeat(65), "a b", "a\tb", "é", "a/b", "{\"x\":1}"}) {
      assertThat(RequestIds.of(bad)).as(String.valueOf(bad)).matches("[0-9a-f]{32}");
    }
    assertThat(RequestIds.of(null)).isNotEqualTo(RequestIds.of(null));
  }
}
