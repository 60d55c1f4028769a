package io.kvpipe.proxy.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class WatchPositionTest {
  @Test
  void aTokenRoundTripsEveryOffset() {
    for (long[] offsets : new long[][] {{0}, {0, 1, 2}, {127, 128, 16_383, 16_384}, {Long.MAX_VALUE, 0, 5}}) {
      WatchPosition p = WatchPosition.of(offsets);
      String token = p.token();
      assertThat(token).matches("[A-Za-z0-9_-]+");
      assertThat(WatchPosition.parse(token)).isEqualTo(p);
      assertThat(WatchPosition.parse(token).toArray()).containsExactly(offsets);
    }
  }

  @Test
  void malformedTokensAreRefusedAs400() {
    String good = WatchPosition.of(5, 6, 7).token();
    byte[] raw = Base64.getUrlDecoder().decode(good);
    byte[] otherVersion = raw.clone();
    otherVersion[0] = 2;
    byte[] trailing = java.util.Arrays.copyOf(raw, raw.length + 1);
    byte[] truncated = java.util.Arrays.copyOf(raw, raw.length - 1);
    byte[] overlong = {1, 1, (byte) 0x85, 0}; // 5 written in two varint bytes: same position, another spelling
    for (String bad : new String[] {"", "not a token!", "====", good + "=", enc(otherVersion), enc(trailing),
        enc(truncated), enc(overlong), enc(new byte[] {1, 0}), "A".repeat(5000),
        enc(new byte[] {1, 1, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
            (byte) 0xff, (byte) 0xff, (byte) 0xff, 1})}) {
      assertThatThrownBy(() -> WatchPosition.parse(bad)).as(bad).isInstanceOf(KvException.class)
          .satisfies(e -> assertThat(((KvException) e).code()).isEqualTo(ErrorCode.MALFORMED_REQUEST));
    }
  }

  private static String enc(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
