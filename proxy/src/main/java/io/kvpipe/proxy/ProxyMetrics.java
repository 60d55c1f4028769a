package io.kvpipe.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The proxy's metrics: request latency by route/method/status, transparent retries by reason, topology version and
 * health-probe outcomes, and the migration this proxy coordinates (keys copied, copy rate, steps reached, runs). Meters are cached so the request path does one map lookup, no registration. Thread-safe.
 */
public final class ProxyMetrics {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
  private final AtomicLong topologyVersion = new AtomicLong();
  private final AtomicLong topologyEpoch = new AtomicLong();
  private final java.util.concurrent.atomic.AtomicReference<Double> migrationRate =
      new java.util.concurrent.atomic.AtomicReference<>(0.0);
  private final Counter migrationKeys;

  public ProxyMetrics() {
    Gauge.builder("kvpipe.proxy.topology.version", topologyVersion, AtomicLong::get).register(registry);
    Gauge.builder("kvpipe.proxy.topology.epoch", topologyEpoch, AtomicLong::get).register(registry);
    Gauge.builder("kvpipe.proxy.migration.keys.per.second", migrationRate,
        java.util.concurrent.atomic.AtomicReference::get)
        .register(registry);
    migrationKeys = Counter.builder("kvpipe.proxy.migration.keys.copied").register(registry);
  }

  public void request(String route, String method, int status, long nanos) {
    String key = route + ' ' + method + ' ' + status;
    Timer t = timers.get(key);
    if (t == null) {
      t = timers.computeIfAbsent(key, k -> Timer.builder("kvpipe.proxy.requests")
          .tag("route", route).tag("method", method).tag("status", Integer.toString(status))
          .publishPercentileHistogram(false).register(registry));
    }
    t.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void retry(String reason) {
    count("kvpipe.proxy.retries", "reason", reason);
  }

  public void probe(String node, boolean ok) {
    count("kvpipe.proxy.health.probes", "result", ok ? "ok" : "failed");
  }

  private void count(String name, String tag, String value) {
    counters.computeIfAbsent(name + ' ' + value, k -> Counter.builder(name).tag(tag, value).register(registry))
        .increment();
  }

  public void topology(long version, long epoch) {
    topologyVersion.set(version);
    topologyEpoch.set(epoch);
  }

  public void migrationKeysCopied(long n) {
    migrationKeys.increment(n);
  }

  public void migrationRate(double keysPerSecond) {
    migrationRate.set(keysPerSecond);
  }

  /** A migration of {@code kind} reached {@code phase} (counted, so a dashboard sees each step as it happens). */
  public void migrationStep(String kind, String phase) {
    counters.computeIfAbsent("kvpipe.proxy.migration.steps " + kind + ' ' + phase, k -> Counter
        .builder("kvpipe.proxy.migration.steps").tag("kind", kind).tag("phase", phase).register(registry)).increment();
  }

  /** How many migrations this proxy is running now. */
  public void migrationRuns(java.util.function.Supplier<Integer> running) {
    Gauge.builder("kvpipe.proxy.migration.running", running, r -> r.get()).register(registry);
  }

  public String scrape() {
    return registry.scrape();
  }
}
