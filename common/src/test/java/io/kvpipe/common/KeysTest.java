package io.kvpipe.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KeysTest {
  @Test
  void acceptsKeysOfOneTo512Utf8Bytes() {
    assertThat(Keys.validateKey("a".getBytes(StandardCharsets.UTF_8))).isEqualTo("a");
    byte[] max = "x".repeat(512).getBytes(StandardCharsets.UTF_8);
    assertThat(Keys.validateKey(max)).hasSize(512);
    // 128 four-byte code points = 512 bytes exactly
    assertThat(Keys.validateKey("😀".repeat(128))).hasSize(512);
  }

  @Test
  void rejectsEmptyOversizedAndInvalidKeys() {
    assertCode(() -> Keys.validateKey(new byte[0]), ErrorCode.INVALID_KEY);
    assertCode(() -> Keys.validateKey(""), ErrorCode.INVALID_KEY);
    assertCode(() -> Keys.validateKey("x".repeat(513)), ErrorCode.INVALID_KEY);
    assertCode(() -> Keys.validateKey("é".repeat(257)), ErrorCode.INVALID_KEY); // 514 bytes, 257 chars
    assertCode(() -> Keys.validateKey(new byte[] {(byte) 0xC3, (byte) 0x28}), ErrorCode.INVALID_KEY);
    assertCode(() -> Keys.validateKey(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}), ErrorCode.INVALID_KEY);
    assertCode(() -> Keys.validateKey("a\uD800b"), ErrorCode.INVALID_KEY);
  }

  @Test
  void valuesAreCappedByConfiguration() {
    Keys.validateValue(new byte[0], 10);
    Keys.validateValue(new byte[10], 10);
    assertCode(() -> Keys.validateValue(new byte[11], 10), ErrorCode.VALUE_TOO_LARGE);
    assertCode(() -> Keys.validateValue(null, 10), ErrorCode.MALFORMED_REQUEST);
  }

  @Test
  void configuredValueCapCannotPassTheHardCap() {
    assertThat(Limits.checkMaxValueBytes(Limits.HARD_MAX_VALUE_BYTES)).isEqualTo(16 << 20);
    assertThatThrownBy(() -> Limits.checkMaxValueBytes(Limits.HARD_MAX_VALUE_BYTES + 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static void assertCode(Runnable r, ErrorCode code) {
    assertThatThrownBy(r::run).isInstanceOf(KvException.class)
        .satisfies(e -> assertThat(((KvException) e).code()).isEqualTo(code));
  }
}
