package io.kvpipe.proxy.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.Ttl;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How expiry arguments are read, checked and turned into TTLs, and the EXPIRE options, as Redis has them. */
class ExpiryTest {
  static final long NOW = 1_700_000_000_000L;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void setOptionsAreRelativeOrAbsoluteInSecondsOrMilliseconds() {
    assertThat(Expiry.ofSetOption("EX", b("10"), "set", NOW).ttlAt(NOW)).isEqualTo(10_000);
    assertThat(Expiry.ofSetOption("PX", b("1500"), "set", NOW).ttlAt(NOW + 999)).isEqualTo(1500);
    Expiry exat = Expiry.ofSetOption("EXAT", b(Long.toString(NOW / 1000 + 60)), "set", NOW);
    assertThat(exat.ttlAt(NOW)).isEqualTo(60_000);
    assertThat(exat.ttlAt(NOW + 1000)).isEqualTo(59_000);
    // A time in the past is valid for SET, as in Redis: the key is set and gone at once.
    assertThat(Expiry.ofSetOption("PXAT", b("1"), "set", NOW).ttlAt(NOW)).isNegative();
  }

  @Test
  void setOptionsRefuseWhatRedisRefusesAndWhatIsOverTheCap() {
    for (String bad : List.of("0", "-5")) {
      assertThatThrownBy(() -> Expiry.ofSetOption("EX", b(bad), "set", NOW))
          .hasMessage("ERR invalid expire time in 'set' command");
    }
    assertThatThrownBy(() -> Expiry.ofSetOption("PX", b("0"), "psetex", NOW))
        .hasMessage("ERR invalid expire time in 'psetex' command");
    assertThatThrownBy(() -> Expiry.ofSetOption("EX", b(Long.toString(Long.MAX_VALUE / 1000 + 1)), "set", NOW))
        .hasMessage("ERR invalid expire time in 'set' command");
    assertThatThrownBy(() -> Expiry.ofSetOption("EX", b("1.5"), "set", NOW))
        .hasMessage("ERR value is not an integer or out of range");
    assertThatThrownBy(() -> Expiry.ofSetOption("PX", b(Long.toString(Ttl.MAX_MS + 1)), "set", NOW))
        .hasMessageStartingWith("ERR invalid expire time in 'set' command (kvpipe keeps a key at most");
    assertThat(Expiry.ofSetOption("PX", b(Long.toString(Ttl.MAX_MS)), "set", NOW).ttlAt(NOW)).isEqualTo(Ttl.MAX_MS);
  }

  @Test
  void expireTimesAreAnyIntegerMadeAbsoluteAtOnce() {
    Expiry e = Expiry.ofExpireArgument(b("30"), true, false, "expire", NOW);
    assertThat(e.amountMs()).isEqualTo(NOW + 30_000);
    assertThat(e.ttlAt(NOW + 10_000)).isEqualTo(20_000);
    assertThat(Expiry.ofExpireArgument(b("0"), true, false, "expire", NOW).ttlAt(NOW)).isZero();
    assertThat(Expiry.ofExpireArgument(b("-10"), false, false, "pexpire", NOW).ttlAt(NOW)).isEqualTo(-10);
    assertThat(Expiry.ofExpireArgument(b("5"), true, true, "expireat", NOW).ttlAt(NOW)).isNegative();
    assertThat(Expiry.ofExpireArgument(b(Long.toString(NOW + 5)), false, true, "pexpireat", NOW).ttlAt(NOW))
        .isEqualTo(5);
    assertThatThrownBy(() -> Expiry.ofExpireArgument(b(Long.toString(Long.MAX_VALUE)), true, false, "expire", NOW))
        .hasMessage("ERR invalid expire time in 'expire' command");
    assertThatThrownBy(() -> Expiry.ofExpireArgument(b(Long.toString(Long.MAX_VALUE - 10)), false, false, "pexpire",
        NOW)).hasMessage("ERR invalid expire time in 'pexpire' command");
    assertThatThrownBy(() -> Expiry.ofExpireArgument(b("x"), true, false, "expire", NOW))
        .hasMessage("ERR value is not an integer or out of range");
    assertThatThrownBy(() -> Expiry.ofExpireArgument(b(Long.toString(Ttl.MAX_MS / 1000 + 1)), true, false, "expire",
        NOW)).hasMessageStartingWith("ERR invalid expire time in 'expire' command (kvpipe");
  }

  @Test
  void expireOptionsFollowRedisRulesWithNoTtlAsInfinite() {
    Expiry.Condition none = Expiry.Condition.parse(List.of(), 0);
    assertThat(none.allows(Ttl.NONE, 5)).isTrue();
    Expiry.Condition nx = Expiry.Condition.parse(List.of(b("nx")), 0);
    assertThat(nx.allows(Ttl.NONE, 5)).isTrue();
    assertThat(nx.allows(10, 5)).isFalse();
    Expiry.Condition xx = Expiry.Condition.parse(List.of(b("XX")), 0);
    assertThat(xx.allows(Ttl.NONE, 5)).isFalse();
    assertThat(xx.allows(10, 5)).isTrue();
    Expiry.Condition gt = Expiry.Condition.parse(List.of(b("GT")), 0);
    assertThat(gt.allows(Ttl.NONE, 5)).isFalse();
    assertThat(gt.allows(10, 10)).isFalse();
    assertThat(gt.allows(10, 11)).isTrue();
    Expiry.Condition lt = Expiry.Condition.parse(List.of(b("LT")), 0);
    assertThat(lt.allows(Ttl.NONE, 5)).isTrue();
    assertThat(lt.allows(10, 10)).isFalse();
    assertThat(lt.allows(10, 9)).isTrue();
    Expiry.Condition xxGt = Expiry.Condition.parse(List.of(b("XX"), b("GT")), 0);
    assertThat(xxGt.allows(Ttl.NONE, 5)).isFalse();
    assertThat(xxGt.allows(4, 5)).isTrue();
    assertThatThrownBy(() -> Expiry.Condition.parse(List.of(b("NX"), b("GT")), 0))
        .hasMessage("ERR NX and XX, GT or LT options at the same time are not compatible");
    assertThatThrownBy(() -> Expiry.Condition.parse(List.of(b("GT"), b("LT")), 0))
        .hasMessage("ERR GT and LT options at the same time are not compatible");
    assertThatThrownBy(() -> Expiry.Condition.parse(List.of(b("KEEP")), 0))
        .hasMessage("ERR Unsupported option KEEP");
  }
}
