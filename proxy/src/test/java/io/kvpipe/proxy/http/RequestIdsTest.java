package io.kvpipe.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class RequestIdsTest {
  @Test
  void aPlainIdIsKept() {
    assertThat(RequestIds.of("abc-DEF_1.2:3")).isEqualTo("abc-DEF_1.2:3");
    assertThat(RequestIds.of("x".repeat(64))).isEqualTo("x".repeat(64));
  }

  @Test
  void missingLongOrOddIdsAreReplacedByNewOnes() {
    for (String bad : new String[] {null, "", "x".repeat(65), "a b", "a\tb", "é", "a/b", "{\"x\":1}"}) {
      assertThat(RequestIds.of(bad)).as(String.valueOf(bad)).matches("[0-9a-f]{16}");
    }
    assertThat(RequestIds.of(null)).isNotEqualTo(RequestIds.of(null));
  }

  /** The id is the MDC's request_id while work on the request runs, on whatever thread, and only then. */
  @Test
  void workOnARequestRunsUnderItsIdOnAnyThread() throws Exception {
    assertThat(RequestIds.current()).isNull();
    Function<String, String> seen = RequestIds.with("outer", () -> {
      assertThat(RequestIds.with("inner", RequestIds::current)).isEqualTo("inner");
      assertThat(RequestIds.current()).isEqualTo("outer"); // restored
      return RequestIds.bind(x -> x + ":" + MDC.get("request_id"));
    });
    assertThat(RequestIds.current()).isNull();
    assertThat(CompletableFuture.supplyAsync(() -> seen.apply("elsewhere")).get()).isEqualTo("elsewhere:outer");
    Function<String, String> unbound = x -> x;
    assertThat(RequestIds.bind(unbound)).isSameAs(unbound); // outside a request: nothing to carry, nothing allocated
  }
}
