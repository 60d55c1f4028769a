package io.kvpipe.proxy.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.testsupport.Poll;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class StartupWaitTest {
  @Test
  void aZeroTimeoutNeverExpires() {
    StartupWait wait = new StartupWait(Duration.ZERO, "nothing");
    assertThat(wait.expired()).isFalse();
  }

  @Test
  void aTimeoutExpiresOnceItHasPassed() {
    StartupWait wait = new StartupWait(Duration.ofMillis(50), "nothing");
    Poll.until("the 50 ms wait to expire", Duration.ofSeconds(10), wait::expired);
  }

  @Test
  void aNegativeTimeoutIsRefused() {
    assertThatThrownBy(() -> new StartupWait(Duration.ofMillis(-1), "nothing"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
