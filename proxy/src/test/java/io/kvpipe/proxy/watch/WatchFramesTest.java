package io.kvpipe.proxy.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class WatchFramesTest {
  static ChangeEvent event(Op op, Origin origin) {
    byte[] v = "v".getBytes(StandardCharsets.UTF_8);
    return new ChangeEvent(op, "k", op == Op.CREATE ? null : v, op == Op.DELETE ? null : v, 1, "g1", 5, 1, 1, 9,
        origin);
  }

  @Test
  void anExpiryIsADeleteAWatcherSeesMarkedExpired() {
    ChangeEvent expiry = event(Op.DELETE, Origin.EXPIRY);
    assertThat(WatchFrames.isChange(expiry)).isTrue();
    String frame = new String(WatchFrames.change(expiry, "t").bytes(), StandardCharsets.UTF_8);
    assertThat(frame).contains("\"op\":\"delete\"").contains("\"expired\":true");
    String delete = new String(WatchFrames.change(event(Op.DELETE, Origin.CLIENT), "t").bytes(),
        StandardCharsets.UTF_8);
    assertThat(delete).doesNotContain("expired");
    assertThat(WatchFrames.isChange(event(Op.CREATE, Origin.MIGRATION))).isFalse();
    assertThat(WatchFrames.isChange(event(Op.READ, Origin.SNAPSHOT))).isFalse();
  }
}
