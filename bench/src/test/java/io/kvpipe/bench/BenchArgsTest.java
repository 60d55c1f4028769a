package io.kvpipe.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BenchArgsTest {
  @Test
  void anOnOffOptionTakesOnOrOffAndItsDefaultWhenAbsent() {
    BenchArgs a = new BenchArgs(new String[] {"--tls", "off", "--etcd-peer-tls", "on"});
    assertThat(a.onOff("tls", true)).isFalse();
    assertThat(a.onOff("etcd-peer-tls", false)).isTrue();
    assertThat(a.onOff("absent", true)).isTrue();
    assertThat(a.onOff("absent", false)).isFalse();
  }

  @Test
  void anOnOffOptionRefusesAnythingElse() {
    BenchArgs a = new BenchArgs(new String[] {"--tls", "yes"});
    assertThatThrownBy(() -> a.onOff("tls", true)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--tls must be on or off, got 'yes'");
  }
}
