package io.kvpipe.node;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ratis closes a replica for good when its state machine throws what Ratis takes as fatal, yet keeps listing the
 * group, and the node would go on looking as if it hosted it: this watch says so (an error naming the group and the
 * cause, metrics), once per replica. Readiness reads the same state from Ratis directly ({@link NodeStatus}).
 *
 * <p>Threads: one daemon thread checks every {@link #INTERVAL} and owns the set of stopped replicas (read by the
 * gauges from the scrape thread, hence a concurrent set).
 */
final class ReplicaWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicaWatch.class);
  static final Duration INTERVAL = Duration.ofSeconds(1);

  private final RaftServer server;
  private final Function<RaftGroupId, String> groupName;
  private final Predicate<RaftGroupId> readable;
  private final Function<String, String> fatalCause;
  private final MeterRegistry registry;
  private final Set<String> stopped = ConcurrentHashMap.newKeySet();
  private final Counter stops;
  private final ScheduledExecutorService timer;

  /**
   * @param readable   false for a group Ratis is still adding: reading its division would wait for the add
   * @param fatalCause the cause a group's state machine recorded when it failed, or null
   */
  ReplicaWatch(String nodeId, RaftServer server, Function<RaftGroupId, String> groupName,
               Predicate<RaftGroupId> readable, Function<String, String> fatalCause, MeterRegistry registry) {
    this.server = server;
    this.groupName = groupName;
    this.readable = readable;
    this.fatalCause = fatalCause;
    this.registry = registry;
    Gauge.builder("kvpipe.node.replicas.stopped", stopped, Set::size)
        .description("replicas Ratis stopped for good but still lists (the node serves nothing of them until it"
            + " restarts)").register(registry);
    this.stops = Counter.builder("kvpipe.node.replica.stops")
        .description("replicas found stopped by Ratis since the node started").register(registry);
    this.timer = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().daemon().name("replica-watch-" + nodeId).factory());
  }

  ReplicaWatch start() {
    timer.scheduleWithFixedDelay(() -> {
      try {
        check();
      } catch (RuntimeException e) {
        LOG.warn("checking the replicas failed: {}", e.toString());
      }
    }, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  private void check() {
    if (server.getLifeCycleState() != LifeCycle.State.RUNNING) {
      return; // stopping: every replica closes now, as it should
    }
    Set<String> listed = new HashSet<>();
    for (RaftGroupId gid : server.getGroupIds()) {
      String group = groupName.apply(gid);
      listed.add(group);
      if (!readable.test(gid)) {
        continue;
      }
      RaftServer.Division d;
      try {
        d = server.getDivision(gid);
      } catch (IOException e) {
        continue; // removed since the listing
      }
      if (NodeStatus.stopped(d) && stopped.add(group)) {
        stops.increment();
        Gauge.builder("kvpipe.node.replica.stopped", stopped, s -> s.contains(group) ? 1 : 0).tag("group", group)
            .description("1 while Ratis lists this group's replica here but stopped it for good").register(registry);
        LOG.error("group {}: {}", group, NodeStatus.stoppedReason(d, fatalCause.apply(group)));
      }
    }
    stopped.retainAll(listed);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
