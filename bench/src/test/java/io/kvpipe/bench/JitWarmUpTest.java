package io.kvpipe.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The warm-up reads each JVM's JIT time from its Prometheus text; a JVM that does not show it does not hold it up. */
class JitWarmUpTest {
  @Test
  void readsTheCompileTimeWithOrWithoutLabels() {
    String text = """
        # HELP jvm_compilation_time_ms_total The approximate accumulated elapsed time spent in compilation
        # TYPE jvm_compilation_time_ms_total counter
        jvm_compilation_time_ms_total{compiler="HotSpot 64-Bit Tiered Compilers"} 48211.0
        jvm_gc_pause_seconds_count 3.0
        """;
    assertThat(JitWarmUp.compileMs(text)).isEqualTo(48211.0);
    assertThat(JitWarmUp.compileMs("jvm_compilation_time_ms_total 12.5\n")).isEqualTo(12.5);
  }

  @Test
  void aJvmWithoutTheMeterReadsAsNaN() {
    assertThat(JitWarmUp.compileMs("jvm_gc_pause_seconds_count 3.0\n")).isNaN();
  }

  @Test
  void oneQuietWindowIsNotWarmTwoInARowAre() {
    JitWarmUp.Quiet quiet = new JitWarmUp.Quiet(3.0, 2);

    assertThat(quiet.window(12.3)).isFalse();
    assertThat(quiet.window(2.3)).isFalse();
    assertThat(quiet.window(7.9)).isFalse();
    assertThat(quiet.window(3.0)).isFalse();
    assertThat(quiet.window(Double.NaN)).isTrue();
  }
}
