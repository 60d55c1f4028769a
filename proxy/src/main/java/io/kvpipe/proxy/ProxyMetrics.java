package io.kvpipe.proxy;

import io.kvpipe.common.metrics.StandardMeters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The proxy's metrics: request latency by route/method/status, transparent retries by reason, requests refused by a
 * limit (by which limit), topology version and health-probe outcomes, and the migration this proxy coordinates (keys
 * copied, copy rate, steps reached, runs). Meters are cached so the request path does one map lookup, no registration.
 * Every tag value comes from a fixed set, never from what a caller sent (a made-up method must not make a new timer).
 * Thread-safe.
 */
public final class ProxyMetrics {
  /** Methods that keep their own tag; any other method string a client sends is tagged {@code other}. */
  private static final java.util.Set<String> METHODS =
      java.util.Set.of("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS");

  // Filters first: they apply to meters registered after them (no Kafka rates/averages; buckets on every timer).
  private final PrometheusMeterRegistry registry =
      StandardMeters.configure(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
  private final AtomicLong topologyVersion = new AtomicLong();
  private final AtomicLong topologyEpoch = new AtomicLong();
  private final Counter migrationKeys;
  private final Counter watchEvents;
  private final Counter watchResumes;
  private volatile java.util.function.Supplier<io.kvpipe.client.GroupCommit.Stats> groupCommitStats;

  public ProxyMetrics() {
    StandardMeters.bindJvm(registry);
    Gauge.builder("kvpipe.proxy.topology.version", topologyVersion, AtomicLong::get).register(registry);
    Gauge.builder("kvpipe.proxy.topology.epoch", topologyEpoch, AtomicLong::get).register(registry);
    migrationKeys = Counter.builder("kvpipe.proxy.migration.keys.copied").register(registry);
    watchEvents = Counter.builder("kvpipe.proxy.watch.events.sent").register(registry);
    watchResumes = Counter.builder("kvpipe.proxy.watch.resumes").register(registry);
  }

  public void request(String route, String requestMethod, int status, long nanos) {
    String method = methodTag(requestMethod);
    String key = route + ' ' + method + ' ' + status;
    Timer t = timers.get(key);
    if (t == null) {
      t = timers.computeIfAbsent(key, k -> Timer.builder("kvpipe.proxy.requests")
          .tag("route", route).tag("method", method).tag("status", Integer.toString(status))
          .serviceLevelObjectives(StandardMeters.LATENCY_BUCKETS).register(registry));
    }
    t.record(nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * A command on the Redis protocol: {@code command} is one of the names the proxy knows (else "other", so a client
   * cannot create series), {@code outcome} ok or error, timed from when it was issued to when its reply was ready.
   */
  public void respCommand(String command, boolean ok, long nanos) {
    String outcome = ok ? "ok" : "error";
    String key = "resp " + command + ' ' + outcome;
    Timer t = timers.get(key);
    if (t == null) {
      t = timers.computeIfAbsent(key, k -> Timer.builder("kvpipe.proxy.resp.commands")
          .tag("command", command).tag("outcome", outcome)
          .serviceLevelObjectives(StandardMeters.LATENCY_BUCKETS).register(registry));
    }
    t.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** The tag a request method is recorded under: itself if it is a standard method, else {@code other}. */
  public static String methodTag(String method) {
    return method != null && METHODS.contains(method) ? method : "other";
  }

  /** A request refused by one of the limits on what a caller can make the proxy hold ({@code reason}: fixed names). */
  public void rejected(String reason) {
    count("kvpipe.proxy.rejected", "reason", reason);
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

  /** A migration of {@code kind} reached {@code phase} (counted, so a dashboard sees each step as it happens). */
  public void migrationStep(String kind, String phase) {
    counters.computeIfAbsent("kvpipe.proxy.migration.steps " + kind + ' ' + phase, k -> Counter
        .builder("kvpipe.proxy.migration.steps").tag("kind", kind).tag("phase", phase).register(registry)).increment();
  }

  /** How many migrations this proxy is running now. */
  /**
   * Group commit: Raft requests the proxy sent to the groups and the operations they carried, by kind (write, read);
   * operations per request is the batching the groups see.
   */
  public void groupCommit(java.util.function.Supplier<io.kvpipe.client.GroupCommit.Stats> stats) {
    // The counters hold their object weakly: this (held by the server), not a lambda only the registry would hold,
    // which the next collection would take, freezing the counters at their last value.
    groupCommitStats = stats;
    FunctionCounter.builder("kvpipe.proxy.group.commit.requests", this, m -> m.groupCommitStats.get().writeRequests())
        .tag("kind", "write").description("Raft requests sent to the shard groups").register(registry);
    FunctionCounter.builder("kvpipe.proxy.group.commit.operations", this, m -> m.groupCommitStats.get().writeOps())
        .tag("kind", "write").description("operations those requests carried").register(registry);
    FunctionCounter.builder("kvpipe.proxy.group.commit.requests", this, m -> m.groupCommitStats.get().readRequests())
        .tag("kind", "read").description("Raft requests sent to the shard groups").register(registry);
    FunctionCounter.builder("kvpipe.proxy.group.commit.operations", this, m -> m.groupCommitStats.get().readOps())
        .tag("kind", "read").description("operations those requests carried").register(registry);
  }

  public void migrationRuns(java.util.function.Supplier<Integer> running) {
    Gauge.builder("kvpipe.proxy.migration.running", running, r -> r.get()).register(registry);
  }

  /**
   * A gauge read from {@code value} at scrape time. Held strongly: a gauge of a lambda (whose only reference is the
   * registry's) would otherwise read NaN after the next garbage collection.
   */
  public void gauge(String name, java.util.function.Supplier<Number> value) {
    Gauge.builder(name, value).strongReference(true).register(registry);
  }

  /**
   * The Kafka client's own metrics (fetch rates, lag, request latencies...) as meters tagged with its client id, for
   * a long-lived client only: every client adds a hundred or so meters. Close the result with the client.
   */
  public AutoCloseable bindKafkaClient(org.apache.kafka.clients.consumer.Consumer<?, ?> consumer) {
    var binder = new io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics(consumer);
    binder.bindTo(registry);
    return binder;
  }

  /** A change-topic record the watch feed did not pass on ({@code kind}: republished, malformed). */
  public void watchRecord(String kind) {
    count("kvpipe.proxy.watch.records.dropped", "kind", kind);
  }

  /** A watcher cut off by the proxy ({@code code}: WATCHER_TOO_SLOW, ...). */
  public void watchCutOff(String code) {
    count("kvpipe.proxy.watch.cutoff", "reason", code == null ? "none" : code);
  }

  public void watchEventSent() {
    watchEvents.increment();
  }

  public void watchCaughtUp() {
    watchResumes.increment();
  }

  public String scrape() {
    return registry.scrape();
  }
}
