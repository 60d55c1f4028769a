package io.kvpipe.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class KeyPathTest {
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "plain|plain",
      "a%2Fb|a/b",
      "a/b/c|a/b/c",
      "%E2%9C%93|\u2713",
      "caf%C3%A9|caf\u00e9",
      "sp%20ace|sp ace",
      "plus+sign|plus+sign",
      "%2E%2E|..",
      "%F0%9F%98%80|\uD83D\uDE00",
      "%e2%9c%93|\u2713"})
  void decodesPercentEscapesToUtf8Keys(String raw, String expected) {
    assertThat(new String(KeyPath.decode(raw), StandardCharsets.UTF_8)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "%", "%2", "%zz", "%C3", "%FF%FE", "%C0%AF", "%ED%A0%80"})
  void rejectsEmptyBadEscapesAndInvalidUtf8(String raw) {
    assertThatThrownBy(() -> KeyPath.decode(raw)).isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_KEY));
  }

  @ParameterizedTest
  @ValueSource(ints = {513, 600, 5000})
  void rejectsOversizedKeysEncodedOrNot(int length) {
    assertThatThrownBy(() -> KeyPath.decode("k".repeat(length))).isInstanceOf(KvException.class);
    assertThatThrownBy(() -> KeyPath.decode("%41".repeat(length))).isInstanceOf(KvException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"simple", "with space", "a/b?c#d", "\u00fcml\u00e4ut", "\uD83D\uDE00 emoji", "100%"})
  void encodeThenDecodeIsIdentity(String key) {
    assertThat(new String(KeyPath.decode(KeyPath.encode(key)), StandardCharsets.UTF_8)).isEqualTo(key);
  }

  @org.junit.jupiter.api.Test
  void exactly512BytesIsAccepted() {
    assertThat(KeyPath.decode("%C3%A9".repeat(256))).hasSize(512);
  }
}
