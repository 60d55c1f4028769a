package io.kvpipe.proxy.topology;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.MetaQuery;
import io.kvpipe.common.topology.MetaState;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.common.topology.TopologyEvent;
import io.kvpipe.client.meta.MetaClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this proxy's copy of the topology current: asks the meta group to answer once its version moves past the
 * one held ({@link MetaQuery.ChangesAfter}, answered by the leader's apply with the new topology and the events in
 * between, in one round trip) and tells its listeners (routing, SSE subscribers, metrics). Against meta replicas that
 * predate ChangesAfter it asks the old way: {@link MetaQuery.ChangedAfter}, then reads the snapshot and the events
 * ({@code pollInterval} is only the pause after a failed ask). {@link #refresh()} forces a reload now (after a WRONG_GROUP reply); concurrent refreshes
 * share one meta read.
 *
 * <p>Threads: one daemon poller thread; {@code current} is a volatile reference replaced whole, read by request
 * threads; {@code update} is synchronized so views only move forward and listeners see versions in order.
 */
public final class TopologyWatcher implements TopologySource, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TopologyWatcher.class);
  /** Stage timing for scripts/bench-topology.sh (off unless KVPIPE_TRACE is set, see logback.xml). */
  private static final Logger TRACE = LoggerFactory.getLogger("kvpipe.trace.topology");

  /** A newer topology and the events that led to it (possibly empty if the event log was truncated). */
  public record Update(TopologyView view, List<TopologyEvent> events) {}

  private final MetaClient meta;
  private final Duration pollInterval;
  private final List<Consumer<Update>> listeners = new CopyOnWriteArrayList<>();
  private volatile TopologyView current = TopologyView.EMPTY;
  /** Until when (System.nanoTime) the poller asks the old way (ChangedAfter, then snapshot and events). */
  private long askOldWayUntil = System.nanoTime();
  private static final Duration OLD_WAY_FOR = Duration.ofMinutes(1);
  private volatile CompletableFuture<TopologyView> inFlight;
  private volatile boolean running;
  private Thread poller;

  public TopologyWatcher(MetaClient meta, Duration pollInterval) {
    this.meta = meta;
    this.pollInterval = pollInterval;
  }

  @Override
  public TopologyView current() {
    return current;
  }

  public void addListener(Consumer<Update> listener) {
    listeners.add(listener);
  }

  /**
   * Installs the first topology if the meta group has none (idempotent: if another proxy won, nothing changes), then
   * loads it. Groups empty = wait for someone else to bootstrap.
   */
  public void bootstrapIfEmpty(List<ShardGroup> groups, List<Peer> metaPeers, int vnodes) {
    if (groups.isEmpty()) {
      return;
    }
    meta.submitAndWait(new MetaCommand.Bootstrap(groups, metaPeers, vnodes, System.currentTimeMillis()));
  }

  /**
   * {@link #bootstrapIfEmpty} retried until the meta group answers (it may still be electing a leader, or not be
   * started yet); {@code timeout} zero: no limit. Progress is logged every {@link StartupWait#PROGRESS_EVERY}.
   */
  public void bootstrapIfEmptyWithRetry(List<ShardGroup> groups, List<Peer> metaPeers, int vnodes, Duration timeout) {
    StartupWait wait = new StartupWait(timeout, "the meta group " + metaPeers + " to answer the bootstrap");
    while (true) {
      try {
        bootstrapIfEmpty(groups, metaPeers, vnodes);
        return;
      } catch (KvException e) {
        if (!e.retriable() || wait.expired()) {
          throw e;
        }
        wait.progress(e.getMessage());
        LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
      }
    }
  }

  public void start() {
    running = true;
    poller = Thread.ofPlatform().daemon().name("topology-poller").start(this::pollLoop);
  }

  private void pollLoop() {
    while (running) {
      if (System.nanoTime() - askOldWayUntil >= 0) {
        MetaQuery.Changes c;
        try {
          c = meta.changesAfter(current.version());
        } catch (KvException e) {
          if (e.retriable()) {
            // Electing a leader, down, slow: keep serving the last topology and ask again after the poll interval.
            // (Not a reason to ask the old way: seen right after start on a loaded box, it kept the slow path on.)
            LOG.debug("waiting for topology changes failed: {}", e.toString());
            LockSupport.parkNanos(pollInterval.toNanos());
            pollOnce();
            continue;
          }
          // Refused: meta replicas older than ChangesAfter do not know it. Ask the old way for a while, then again.
          LOG.info("the meta group refused ChangesAfter ({}); asking the old way for {}", e.toString(), OLD_WAY_FOR);
          askOldWayUntil = System.nanoTime() + OLD_WAY_FOR.toNanos();
          continue;
        } catch (RuntimeException e) {
          LOG.debug("waiting for topology changes failed: {}", e.toString());
          LockSupport.parkNanos(pollInterval.toNanos());
          continue;
        }
        if (!running) {
          return; // closed while the ask was held: a closed watcher changes nothing
        }
        Topology t = c.topology();
        if (t.version() > current.version()) {
          if (TRACE.isInfoEnabled()) {
            TRACE.info("watcher-reply version={} at={}", t.version(), System.nanoTime());
          }
          update(t, c.events().events().stream().filter(e -> e.version() <= t.version()).toList());
        }
        continue;
      }
      try {
        // Held by the meta leader until a command it applies changes the version (or about half an attempt has
        // passed): a change reaches this proxy as it is applied, not at the next poll.
        MetaQuery.VersionInfo v = meta.changedAfter(current.version());
        if (TRACE.isInfoEnabled() && v.version() != current.version()) {
          TRACE.info("watcher-reply version={} at={}", v.version(), System.nanoTime());
        }
        if (!running) {
          return; // closed while the ask was held: a closed watcher changes nothing
        }
        if (v.version() != current.version()) {
          refresh().join();
        }
      } catch (RuntimeException e) {
        // The meta group may be electing a leader, down, or (during a rolling upgrade) too old to hold a reader:
        // keep serving the last topology, and after the poll interval check the version the old way before asking
        // again, so a proxy in front of older meta replicas still follows changes.
        LOG.debug("waiting for a topology change failed: {}", e.toString());
        LockSupport.parkNanos(pollInterval.toNanos());
        pollOnce();
      }
    }
  }

  private void pollOnce() {
    try {
      if (running && meta.version().version() != current.version()) {
        refresh().join();
      }
    } catch (RuntimeException e) {
      LOG.debug("topology poll failed: {}", e.toString());
    }
  }

  /** Reloads the topology now; concurrent callers share one reload. */
  @Override
  public CompletableFuture<TopologyView> refresh() {
    CompletableFuture<TopologyView> f = inFlight;
    if (f != null && !f.isDone()) {
      return f;
    }
    synchronized (this) {
      f = inFlight;
      if (f != null && !f.isDone()) {
        return f;
      }
      CompletableFuture<TopologyView> mine = new CompletableFuture<>();
      inFlight = mine;
      Thread.ofVirtual().name("topology-refresh").start(() -> {
        try {
          mine.complete(reload());
        } catch (Throwable t) {
          mine.completeExceptionally(t);
        }
      });
      return mine;
    }
  }

  private TopologyView reload() {
    long before = current.version();
    Topology t = meta.snapshot();
    List<TopologyEvent> events = List.of();
    if (t.version() > before) {
      try {
        events = meta.eventsSince(before, MetaState.MAX_EVENTS).events().stream()
            .filter(e -> e.version() <= t.version()).toList();
      } catch (KvException e) {
        LOG.debug("could not read topology events after {}: {}", before, e.toString());
      }
    }
    return update(t, events);
  }

  private synchronized TopologyView update(Topology t, List<TopologyEvent> events) {
    if (t.version() <= current.version() && current.isReady()) {
      return current;
    }
    TopologyView view = new TopologyView(t);
    current = view;
    if (TRACE.isInfoEnabled()) {
      TRACE.info("watcher-loaded version={} at={}", t.version(), System.nanoTime());
    }
    Update u = new Update(view, events);
    boolean trace = TRACE.isInfoEnabled();
    StringBuilder took = trace ? new StringBuilder() : null;
    for (Consumer<Update> l : listeners) {
      long start = trace ? System.nanoTime() : 0;
      try {
        l.accept(u);
      } catch (RuntimeException e) {
        LOG.error("topology listener failed", e);
      }
      if (trace) {
        took.append(' ').append(System.nanoTime() - start);
      }
    }
    if (trace) {
      TRACE.info("watcher-listeners version={} at={} took_ns={}", t.version(), System.nanoTime(), took);
    }
    return view;
  }

  /** Waits (polling) until a bootstrapped topology is loaded; {@code timeout} zero: no limit, progress logged. */
  public TopologyView awaitReady(Duration timeout) {
    StartupWait wait = new StartupWait(timeout, "a topology from the meta group");
    KvException last = null;
    while (!wait.expired()) {
      try {
        TopologyView v = refresh().join();
        if (v.isReady()) {
          return v;
        }
        wait.progress("the meta group holds none yet (a proxy with --bootstrap-groups installs the first)");
      } catch (RuntimeException e) {
        last = io.kvpipe.client.RaftErrors.toKvException(e, "loading the topology");
        wait.progress(last.getMessage());
      }
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
    }
    throw new KvException(ErrorCode.UNAVAILABLE, "no topology within " + timeout
        + (last != null ? ": " + last.getMessage() : " (the meta group holds none: pass --bootstrap-groups)"));
  }

  @Override
  public void close() {
    running = false;
    if (poller != null) {
      poller.interrupt();
    }
  }
}
