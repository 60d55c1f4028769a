package io.kvpipe.proxy.topology;

import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.NodeInfo;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.proxy.ProxyMetrics;
import io.kvpipe.client.meta.MetaClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes every node of the topology each {@code interval}: a probe gets {@code 1 + retries} attempts of at most
 * {@code timeout} each; after {@code failureThreshold} consecutive failed rounds a node that the topology says is up
 * is recorded down through the meta group, and the first successful probe of a node recorded down records it up.
 * Several proxies may do this at once: the meta group ignores a health change that is already recorded.
 *
 * <p>Threads: rounds run on one scheduler thread (a manual {@link #runNow()} serializes with it via {@code this});
 * probes run in parallel on virtual threads; {@code failures} is only touched inside a round.
 */
public final class HealthMonitor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HealthMonitor.class);

  /** One node's result in a round. */
  public record NodeResult(String node, String address, boolean reachable, int consecutiveFailures, boolean up,
                           long probeMillis) {}

  private final Supplier<Topology> topology;
  private final Runnable refresh;
  private final MetaClient meta;
  private final ProxyMetrics metrics;
  private final Duration interval;
  private final Duration timeout;
  private final int retries;
  private final int failureThreshold;
  private final NodeProber prober;
  private final Map<String, Integer> failures = new ConcurrentHashMap<>();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().daemon().name("health-monitor").factory());
  private final ExecutorService probes = Executors.newVirtualThreadPerTaskExecutor();

  public HealthMonitor(TopologyWatcher watcher, MetaClient meta, ProxyMetrics metrics, Duration interval,
                       Duration timeout, int retries, int failureThreshold, NodeProber prober) {
    this(() -> watcher.current().topology(), watcher::refresh, meta, metrics, interval, timeout, retries,
        failureThreshold, prober);
  }

  /**
   * @param topology the proxy's current topology; {@code refresh} reloads it after a recorded change
   * @param prober shared with the {@link GroupStatusMonitor}; its owner closes it
   */
  HealthMonitor(Supplier<Topology> topology, Runnable refresh, MetaClient meta, ProxyMetrics metrics,
                Duration interval, Duration timeout, int retries, int failureThreshold, NodeProber prober) {
    this.topology = topology;
    this.refresh = refresh;
    this.meta = meta;
    this.metrics = metrics;
    this.interval = interval;
    this.timeout = timeout;
    this.retries = retries;
    this.failureThreshold = failureThreshold;
    this.prober = prober;
  }

  public void start() {
    scheduler.scheduleWithFixedDelay(() -> {
      try {
        runNow();
      } catch (RuntimeException e) {
        LOG.warn("health round failed: {}", e.toString());
      }
    }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Runs one round now and returns each node's result (after recording any up/down transition). */
  public synchronized List<NodeResult> runNow() {
    List<NodeInfo> nodes = topology.get().nodes();
    List<Future<long[]>> pending = new ArrayList<>();
    for (NodeInfo n : nodes) {
      pending.add(probes.submit(() -> probeWithRetries(n)));
    }
    List<NodeResult> results = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      NodeInfo n = nodes.get(i);
      long[] r = await(pending.get(i));
      boolean reachable = r[0] == 1;
      metrics.probe(n.id(), reachable);
      int failed = reachable ? 0 : failures.merge(n.id(), 1, Integer::sum);
      if (reachable) {
        failures.remove(n.id());
      }
      boolean up = n.up();
      if (reachable && !n.up()) {
        up = record(n, true, "probe succeeded");
      } else if (!reachable && n.up() && failed >= failureThreshold) {
        up = !record(n, false, failed + " consecutive probes failed");
      }
      results.add(new NodeResult(n.id(), n.address(), reachable, failed, up, r[1]));
    }
    Set<String> ids = Set.copyOf(nodes.stream().map(NodeInfo::id).toList());
    failures.keySet().retainAll(ids);
    prober.retain(ids);
    return results;
  }

  private long[] probeWithRetries(NodeInfo n) {
    long start = System.nanoTime();
    for (int attempt = 0; attempt <= retries; attempt++) {
      if (prober.probe(n)) {
        return new long[] {1, (System.nanoTime() - start) / 1_000_000};
      }
    }
    return new long[] {0, (System.nanoTime() - start) / 1_000_000};
  }

  private long[] await(Future<long[]> f) {
    try {
      return f.get(timeout.toMillis() * (retries + 1) + 1000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      f.cancel(true);
      return new long[] {0, timeout.toMillis() * (retries + 1)};
    }
  }

  /** Records a transition; returns true if the meta group accepted it (or already had it). */
  private boolean record(NodeInfo n, boolean up, String reason) {
    try {
      meta.submitAndWait(new MetaCommand.SetNodeHealth(n.id(), up, reason, System.currentTimeMillis()));
      LOG.warn("node {} ({}) is now {}: {}", n.id(), n.address(), up ? "UP" : "DOWN", reason);
      refresh.run();
      return true;
    } catch (RuntimeException e) {
      LOG.warn("could not record node {} as {}: {}", n.id(), up ? "up" : "down", e.toString());
      return false;
    }
  }

  /** Nodes the prober holds a client for (for tests). */
  Set<String> probedNodes() {
    return prober.nodes();
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    probes.shutdownNow();
  }
}
