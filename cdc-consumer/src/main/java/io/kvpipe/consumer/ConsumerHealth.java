package io.kvpipe.consumer;

import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * The consumer's readiness ({@code GET /ready}): it has joined its consumer group (an assignment, possibly empty when
 * there are more instances than partitions), the archive database answered a recent ping, no partition is stopped,
 * and it is writing: no partition's batch has failed on its last tries or for longer than a bound ({@link
 * WriteFailures}). The database is pinged on a thread of its own every {@code pingInterval}, so a request never waits on it.
 */
final class ConsumerHealth implements AutoCloseable {
  /** One database ping: when, and the error (null if it answered). */
  record Ping(long atMs, String error) {
    static final Ping NONE = new Ping(0, "not checked yet");
  }

  /** One check's result. */
  record Check(String name, boolean ok, String detail) {}

  private final DataSource dataSource;
  private final IntSupplier assignedPartitions;
  private final Supplier<List<String>> stoppedPartitions;
  private final Supplier<List<String>> writeProblems;
  private final Duration pingInterval;
  private final ScheduledExecutorService pinger = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().daemon().name("archive-db-ping").factory());
  private volatile Ping lastPing = Ping.NONE;

  ConsumerHealth(DataSource dataSource, IntSupplier assignedPartitions, Supplier<List<String>> stoppedPartitions,
                 Supplier<List<String>> writeProblems, Duration pingInterval) {
    this.dataSource = dataSource;
    this.assignedPartitions = assignedPartitions;
    this.stoppedPartitions = stoppedPartitions;
    this.writeProblems = writeProblems;
    this.pingInterval = pingInterval;
  }

  void start() {
    pinger.scheduleWithFixedDelay(this::ping, 0, pingInterval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void ping() {
    long now = System.currentTimeMillis();
    try (Connection c = dataSource.getConnection()) {
      lastPing = c.isValid(2) ? new Ping(now, null) : new Ping(now, "connection not valid");
    } catch (Exception e) {
      lastPing = new Ping(now, e.toString());
    }
  }

  List<Check> checks() {
    return evaluate(assignedPartitions.getAsInt(), lastPing, System.currentTimeMillis(),
        pingInterval.multipliedBy(3).plusSeconds(5).toMillis(), stoppedPartitions.get(), writeProblems.get());
  }

  /** {@link #evaluate(int, Ping, long, long, List, List)} with every partition writing. */
  static List<Check> evaluate(int assigned, Ping ping, long nowMs, long maxPingAgeMs, List<String> stopped) {
    return evaluate(assigned, ping, nowMs, maxPingAgeMs, stopped, List.of());
  }

  /**
   * Pure: the checks from what was observed. {@code assigned} is -1 before the consumer joined its group;
   * {@code cannotWrite} names the partitions whose batches keep failing ({@link WriteFailures}).
   */
  static List<Check> evaluate(int assigned, Ping ping, long nowMs, long maxPingAgeMs, List<String> stopped,
                              List<String> cannotWrite) {
    Check group = assigned < 0 ? new Check("kafka-group", false, "not joined the consumer group yet")
        : new Check("kafka-group", true, assigned + " partition(s) assigned");
    Check db;
    if (ping.error() != null) {
      db = new Check("database", false, "archive database unreachable: " + ping.error());
    } else if (nowMs - ping.atMs() > maxPingAgeMs) {
      db = new Check("database", false, "archive database last answered " + (nowMs - ping.atMs()) + " ms ago");
    } else {
      db = new Check("database", true, "answered " + (nowMs - ping.atMs()) + " ms ago");
    }
    Check parts = stopped.isEmpty() ? new Check("partitions", true, "none stopped")
        : new Check("partitions", false, String.join("; ", stopped));
    Check writing = cannotWrite.isEmpty() ? new Check("writing", true, "no batch failing")
        : new Check("writing", false, "batches not archived: " + String.join("; ", cannotWrite));
    return List.of(group, db, parts, writing);
  }

  /** The body of {@code GET /ready}: {@code {"status","checks":{name:{"ok","detail"}},"problems":[...]}}. */
  static Map<String, Object> toJson(List<Check> checks) {
    boolean ready = checks.stream().allMatch(Check::ok);
    Map<String, Object> m = new LinkedHashMap<>();
    for (Check c : checks) {
      m.put(c.name(), Map.of("ok", c.ok(), "detail", c.detail()));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("status", ready ? "ready" : "not ready");
    out.put("checks", m);
    out.put("problems", checks.stream().filter(c -> !c.ok()).map(c -> c.name() + ": " + c.detail()).toList());
    return out;
  }

  @Override
  public void close() {
    pinger.shutdownNow();
  }
}
