package io.kvpipe.common.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmCompilationMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.time.Duration;

/** What every kvpipe process exports the same way: the JVM's meters and the latency buckets of its timers. */
public final class StandardMeters {
  /**
   * The buckets every kvpipe latency timer publishes ({@code _bucket} series): fixed buckets add up across instances
   * and over time in PromQL ({@code histogram_quantile}), which quantiles computed inside each process cannot.
   */
  public static final Duration[] LATENCY_BUCKETS = {ms(0.5), ms(1), ms(2), ms(5), ms(10), ms(25), ms(50), ms(100),
      ms(250), ms(500), ms(1000), ms(2500), ms(5000), ms(10_000), ms(30_000)};

  private StandardMeters() {}

  /**
   * JVM memory, GC, threads, class loading, JIT compilation time, CPU and uptime: the same names in every process. The
   * JIT's time says whether a process is still warming up (the benchmarks wait for it to settle before they measure).
   */
  @SuppressWarnings("resource") // the GC binder listens for the JVM's lifetime, as the registry does
  public static void bindJvm(MeterRegistry registry) {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new JvmCompilationMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  private static Duration ms(double millis) {
    return Duration.ofNanos((long) (millis * 1_000_000));
  }
}
