package io.kvpipe.common.config;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LogFormatTest {
  @Test
  void textJsonAndUnsetAreAccepted() {
    assertThatCode(() -> LogFormat.check(Map.of())).doesNotThrowAnyException();
    assertThatCode(() -> LogFormat.check(Map.of(LogFormat.ENV, "text"))).doesNotThrowAnyException();
    assertThatCode(() -> LogFormat.check(Map.of(LogFormat.ENV, "json"))).doesNotThrowAnyException();
  }

  @Test
  void anyOtherValueIsRefusedByName() {
    assertThatThrownBy(() -> LogFormat.check(Map.of(LogFormat.ENV, "JSON")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("KVPIPE_LOG_FORMAT").hasMessageContaining("'JSON'");
  }
}
