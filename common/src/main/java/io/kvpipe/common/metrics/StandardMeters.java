package io.kvpipe.common.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
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
   * Sets up a process's registry before anything registers a meter (filters apply at registration): {@link
   * #DENY_PRECOMPUTED} and {@link #SHARED_BUCKETS}. Every kvpipe process calls it on its registry.
   */
  public static <R extends MeterRegistry> R configure(R registry) {
    registry.config().meterFilter(DENY_PRECOMPUTED).meterFilter(SHARED_BUCKETS);
    return registry;
  }

  /**
   * Denies the Kafka clients' precomputed meters: per-second rates ({@code *_rate}), client-side averages
   * ({@code *_avg}) and ratios ({@code *_ratio}, e.g. io-ratio) are computed over a window inside each client and
   * cannot be added up across instances or re-windowed in PromQL. Their {@code *_total} counters (rate() them) and
   * {@code *_max} gauges stay.
   */
  public static final MeterFilter DENY_PRECOMPUTED = new MeterFilter() {
    @Override
    public MeterFilterReply accept(Meter.Id id) {
      String n = id.getName();
      if (n.startsWith("kafka.") && (n.endsWith(".rate") || n.endsWith(".avg") || n.endsWith(".ratio"))) {
        return MeterFilterReply.DENY;
      }
      return MeterFilterReply.NEUTRAL;
    }
  };

  /**
   * Buckets for every timer and distribution summary, the libraries' ones too (JVM GC pauses, HikariCP's connection
   * times): timers get {@link #LATENCY_BUCKETS} unless they chose their own, summaries Micrometer's percentile
   * histogram; client-side percentiles are dropped (they cannot be aggregated across instances).
   */
  public static final MeterFilter SHARED_BUCKETS = new MeterFilter() {
    @Override
    public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
      if (id.getType() != Meter.Type.TIMER && id.getType() != Meter.Type.DISTRIBUTION_SUMMARY) {
        return config;
      }
      DistributionStatisticConfig shared = id.getType() == Meter.Type.TIMER
          ? DistributionStatisticConfig.builder().serviceLevelObjectives(
              java.util.Arrays.stream(LATENCY_BUCKETS).mapToDouble(d -> (double) d.toNanos()).toArray()).build()
          : DistributionStatisticConfig.builder().percentilesHistogram(true).build();
      boolean ownBuckets = config.getServiceLevelObjectiveBoundaries() != null
          && config.getServiceLevelObjectiveBoundaries().length > 0
          || Boolean.TRUE.equals(config.isPercentileHistogram());
      DistributionStatisticConfig withBuckets = ownBuckets ? config : shared.merge(config);
      return DistributionStatisticConfig.builder().percentiles(new double[0]).build().merge(withBuckets);
    }
  };

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
