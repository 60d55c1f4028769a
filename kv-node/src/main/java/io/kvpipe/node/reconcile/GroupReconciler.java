package io.kvpipe.node.reconcile;

import io.kvpipe.client.meta.MetaClient;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.topology.MetaQuery;
import io.kvpipe.common.topology.Topology;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes this node host exactly the shard replicas the topology in the meta group gives it (desired state in meta,
 * each node converges; see {@link ReconcilePlan} for the rules). Polls the topology's version and reads the whole
 * topology only when the version moved, when the last round left something undone, or every
 * {@link #FULL_CHECK_EVERY} as a safety net.
 *
 * <p>Threads: one daemon thread per node, started by {@link #start()}, owns every field below except {@code closed}
 * and the gauge's {@code converged}; it is the only caller of {@link ReplicaHost#createReplica} and
 * {@link ReplicaHost#removeReplica} once the node is up, so creations and removals never race each other. It is
 * also the thread that finishes a creation that outlasted {@code createReplica}'s wait
 * ({@link ReplicaHost#finishPendingAdds}): completion callbacks run on Ratis's threads and attach nothing.
 */
public final class GroupReconciler implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GroupReconciler.class);
  static final Duration FULL_CHECK_EVERY = Duration.ofSeconds(10);
  private static final Duration QUIET_WARNINGS = Duration.ofSeconds(30);

  private final String nodeId;
  private final String metaGroup;
  private final MetaClient meta;
  private final ReplicaHost host;
  private final GroupRoster roster;
  private final Duration interval;
  private final Thread thread;
  private final AtomicLong converged = new AtomicLong();
  private final Counter actionsDone;
  private final Counter actionsFailed;
  private volatile boolean closed;

  private long lastFullCheckNanos;
  private boolean retryNeeded = true;
  /** Actions that failed in the last round: a repeat failure is logged at debug, not every interval. */
  private Set<ReplicaAction> failedLastRound = Set.of();
  private long lastWarningNanos;

  public GroupReconciler(String nodeId, String metaGroup, MetaClient meta, ReplicaHost host, GroupRoster roster,
                         Duration interval, MeterRegistry registry) {
    this.nodeId = nodeId;
    this.metaGroup = metaGroup;
    this.meta = meta;
    this.host = host;
    this.roster = roster;
    this.interval = interval;
    Gauge.builder("kvpipe.node.topology.converged.version", converged, AtomicLong::get)
        .description("topology version this node's replicas last fully matched").register(registry);
    this.actionsDone = Counter.builder("kvpipe.node.replica.changes").tag("outcome", "done").register(registry);
    this.actionsFailed = Counter.builder("kvpipe.node.replica.changes").tag("outcome", "failed").register(registry);
    this.thread = Thread.ofPlatform().daemon().name("group-reconciler-" + nodeId).unstarted(this::loop);
  }

  public void start() {
    thread.start();
  }

  /** The topology version whose replica set this node last matched in full (0: none yet). */
  public long convergedVersion() {
    return converged.get();
  }

  private void loop() {
    LOG.info("node {} follows the topology (every {} ms)", nodeId, interval.toMillis());
    while (!closed) {
      try {
        // Before reading the topology: an add that finished late is attached even while meta is out of reach.
        host.finishPendingAdds();
        round();
      } catch (KvException e) {
        // The meta group is electing or out of reach: the next round tries again.
        warnQuietly("topology not readable: {}", e.toString());
      } catch (RuntimeException e) {
        warnQuietly("reconcile round failed: {}", e.toString());
        LOG.debug("reconcile round failed", e);
      }
      LockSupport.parkNanos(interval.toNanos());
    }
  }

  private void round() {
    MetaQuery.VersionInfo v = meta.version();
    if (v.version() == 0) {
      return; // never act on an un-bootstrapped topology
    }
    long now = System.nanoTime();
    boolean due = retryNeeded || v.version() != converged.get() || now - lastFullCheckNanos > FULL_CHECK_EVERY.toNanos();
    if (!due) {
      return;
    }
    Topology t = meta.snapshot();
    lastFullCheckNanos = now;
    if (!t.isBootstrapped()) {
      return;
    }
    List<ReplicaAction> actions = ReconcilePlan.plan(t, nodeId, host.hostedShardGroups(), roster.managed(),
        metaGroup);
    boolean allDone = true;
    Set<ReplicaAction> failed = new HashSet<>();
    for (ReplicaAction a : actions) {
      if (closed) {
        return;
      }
      try {
        apply(a, t.version());
        actionsDone.increment();
      } catch (Exception e) {
        allDone = false;
        failed.add(a);
        actionsFailed.increment();
        if (failedLastRound.contains(a)) {
          LOG.debug("node {}: {} failed again: {}", nodeId, a, e.toString());
        } else {
          LOG.warn("node {}: {} at topology version {} failed (retried every round): {}", nodeId, a, t.version(),
              e.toString());
          LOG.debug("replica change failed", e);
        }
      }
    }
    failedLastRound = failed;
    retryNeeded = !allDone;
    if (allDone) {
      converged.set(t.version());
    }
  }

  private void apply(ReplicaAction a, long version) throws Exception {
    switch (a) {
      case ReplicaAction.Create c -> {
        // The name is on disk before the directory is, so a restart always knows what the directory is.
        roster.markManaged(c.group());
        host.createReplica(c.group(), c.peers());
        LOG.info("node {}: created a replica of group {} (peers {}) at topology version {}", nodeId, c.group(),
            c.peers(), version);
      }
      case ReplicaAction.Join j -> {
        roster.markManaged(j.group());
        host.createReplica(j.group(), List.of());
        LOG.info("node {}: joining group {} (waits for its leader to add it) at topology version {}", nodeId,
            j.group(), version);
      }
      case ReplicaAction.Adopt ad -> {
        roster.markManaged(ad.group());
        LOG.info("node {}: group {} now follows the topology (version {})", nodeId, ad.group(), version);
      }
      case ReplicaAction.Remove r -> {
        String blocker = r.publishedUpTo() == ReplicaAction.Remove.NOT_LEAVING ? null
            : host.removalBlocker(r.group(), r.publishedUpTo());
        if (blocker != null) {
          // Once every replica is gone nobody publishes them: the replica keeps running (its leader keeps
          // publishing) and the next round tries again.
          throw new IllegalStateException("refusing to remove its replica of group " + r.group() + ": " + blocker);
        }
        // Left first: should Ratis not finish the removal (or the node die now), the next start puts the directory
        // aside instead of serving a replica the topology took away.
        roster.markLeft(r.group());
        host.removeReplica(r.group());
        LOG.info("node {}: removed its replica of group {} at topology version {}", nodeId, r.group(), version);
      }
    }
  }

  private void warnQuietly(String format, String detail) {
    long now = System.nanoTime();
    if (now - lastWarningNanos > QUIET_WARNINGS.toNanos()) {
      lastWarningNanos = now;
      LOG.warn("node {}: " + format, nodeId, detail);
    } else {
      LOG.debug("node {}: " + format, nodeId, detail);
    }
  }

  /** Stops after the current round (a creation or removal under way finishes first). */
  @Override
  public void close() {
    closed = true;
    LockSupport.unpark(thread);
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    meta.close();
  }
}
