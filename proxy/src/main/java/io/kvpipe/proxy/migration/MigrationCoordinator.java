package io.kvpipe.proxy.migration;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.error.OutcomeUnknownException;
import io.kvpipe.common.topology.Migration;
import io.kvpipe.common.topology.NodeInfo;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.proxy.ProxyMetrics;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts, runs, adopts and steers migrations and membership changes; one per proxy. Any proxy may start a change
 * (the meta group admits one in flight at a time); the proxy that starts it holds its lease and runs it. Every proxy
 * watches the in-flight change: if its coordinator stops heartbeating for {@code leaseTimeout}, the first proxy to
 * claim the lease (a version-guarded write) resumes it from the record.
 *
 * <p>Threads: a daemon watchdog thread checks for orphaned changes every heartbeat interval; each run has its own
 * virtual threads (see {@link MigrationRun}); the API methods block on meta calls and are called from a blocking
 * executor, never from a Jetty selector.
 */
public final class MigrationCoordinator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MigrationCoordinator.class);

  private final String id;
  private final MigrationStore store;
  private final ShardOps ops;
  private final Supplier<Topology> current;
  private final MigrationSettings settings;
  private final ProxyMetrics metrics;
  private final Map<String, MigrationRun> runs = new ConcurrentHashMap<>();
  private volatile boolean running;
  private Thread watchdog;

  /**
   * @param id      this coordinator's name in leases (unique per proxy process)
   * @param current this proxy's cached topology (for the cheap orphan check; decisions re-read the meta group)
   */
  public MigrationCoordinator(String id, MigrationStore store, ShardOps ops, Supplier<Topology> current,
                              MigrationSettings settings, ProxyMetrics metrics) {
    this.id = id;
    this.store = store;
    this.ops = ops;
    this.current = current;
    this.settings = settings;
    this.metrics = metrics;
    metrics.migrationRuns(runs::size);
  }

  public String id() {
    return id;
  }

  public void start() {
    running = true;
    watchdog = Thread.ofPlatform().daemon().name("migration-watchdog").start(() -> {
      while (running) {
        try {
          adoptOrphan();
        } catch (RuntimeException e) {
          LOG.debug("migration watchdog: {}", e.toString());
        }
        LockSupport.parkNanos(settings.heartbeatInterval().toNanos());
      }
    });
  }

  /** Takes over the change in flight if its coordinator's lease has expired (or resumes one this proxy holds). */
  void adoptOrphan() {
    Migration m = current.get().inFlightMigration().orElse(null);
    if (m == null || runs.containsKey(m.id())) {
      return;
    }
    MigrationRecord seen = new MigrationRecord(m);
    if (!seen.coordinator().equals(id) && store.now() - seen.heartbeatMs() <= settings.leaseTimeout().toMillis()) {
      return;
    }
    MigrationRecord claimed;
    try {
      claimed = store.update(m.id(), c -> {
        MigrationRecord r = c.record();
        long now = store.now();
        if (!r.inFlight() || (!r.coordinator().equals(id)
            && now - r.heartbeatMs() <= settings.leaseTimeout().toMillis())) {
          throw new MigrationRun.LeaseLost(r.coordinator());
        }
        return r.withAttributes(now, a -> {
          a.put("coordinator", id);
          a.put("heartbeatMs", Long.toString(now));
        });
      });
    } catch (MigrationRun.LeaseLost e) {
      return;
    }
    LOG.info("migration {} ({} {}): taking over at step {} from {}", m.id(), m.kind(), seen.group(), claimed.step(),
        seen.coordinator().isEmpty() ? "nobody" : seen.coordinator());
    launch(claimed);
  }

  private void launch(MigrationRecord r) {
    MigrationRun.Context ctx = new MigrationRun.Context(id, store, ops, settings, metrics);
    MigrationRun run = r.isGroupMigration() ? new GroupMigrationRun(r.id(), ctx) : new MembershipChangeRun(r.id(), ctx);
    if (runs.putIfAbsent(r.id(), run) != null) {
      return;
    }
    Thread.ofVirtual().name("migration-" + r.id()).start(() -> {
      try {
        run.run();
      } finally {
        runs.remove(r.id(), run);
      }
    });
  }

  // ---- starting changes ----

  /**
   * Starts adding {@code group} to the ring. {@code peers} may be empty if the group is already known off the ring.
   *
   * @throws KvException CONFLICT if it is on the ring or another change is in flight, MALFORMED_REQUEST for bad input
   */
  public MigrationRecord addGroup(String group, List<Peer> peers, long throttleKeysPerSecond, int batchSize) {
    ShardGroup.checkId(group);
    return startGroupMigration(t -> {
      ShardGroup known = t.group(group).orElse(null);
      if (known == null && peers.isEmpty()) {
        throw new KvException(ErrorCode.MALFORMED_REQUEST, "'peers' is required for a new group");
      }
      if (known != null && !peers.isEmpty() && !known.peers().equals(peers)) {
        throw new KvException(ErrorCode.CONFLICT, "group " + group + " already exists with replicas " + known.peers());
      }
      List<Peer> replicas = known != null ? known.peers() : new ShardGroup(group, peers).peers();
      for (Peer p : replicas) {
        NodeInfo n = t.node(p.id()).orElse(null);
        if (n != null && !n.address().equals(p.address())) {
          throw new KvException(ErrorCode.CONFLICT, "node " + p.id() + " is known at " + n.address() + ", not "
              + p.address());
        }
      }
      MigrationPlan plan = MigrationPlan.addGroup(t, group);
      Map<String, String> a = new HashMap<>();
      a.put("peers", String.join(",", replicas.stream().map(Peer::toString).toList()));
      return new Planned(Migration.ADD_GROUP, group, plan, a);
    }, throttleKeysPerSecond, batchSize);
  }

  /** Starts draining {@code group}: UNKNOWN_GROUP if there is none, CONFLICT if it is the last one. */
  public MigrationRecord removeGroup(String group, long throttleKeysPerSecond, int batchSize) {
    return startGroupMigration(t -> new Planned(Migration.REMOVE_GROUP, group, MigrationPlan.removeGroup(t, group),
        Map.of()), throttleKeysPerSecond, batchSize);
  }

  private record Planned(String kind, String group, MigrationPlan plan, Map<String, String> attributes) {}

  private MigrationRecord startGroupMigration(java.util.function.Function<Topology, Planned> planner,
                                              long throttleKeysPerSecond, int batchSize) {
    checkThrottle(throttleKeysPerSecond, batchSize);
    for (int attempt = 1; ; attempt++) {
      Topology t = store.topology();
      refuseIfBusy(t);
      Planned p = planner.apply(t);
      long now = store.now();
      Map<String, String> a = new HashMap<>(p.attributes());
      a.put("group", p.group());
      a.put("nextRing", MigrationRecord.ringSpec(p.plan().nextRing()));
      a.put("step", MigrationRecord.PENDING);
      a.put("throttleKeysPerSecond", Long.toString(throttleKeysPerSecond));
      a.put("batchSize", Integer.toString(batchSize));
      a.put("coordinator", id);
      a.put("heartbeatMs", Long.toString(now));
      a.put("keysTotalEstimate", "true");
      MigrationPlan plan = p.plan();
      Migration m = new Migration(newId(p.kind(), p.group(), now), p.kind(), MigrationRecord.PENDING,
          plan.fromEpoch(), plan.toEpoch(), plan.previousRing(), plan.sources(), plan.targets(), 0, 0, now, now, a);
      if (create(m, t, attempt)) {
        LOG.info("migration {}: {} {} started ({} pairs, {}% of the ring moves)", m.id(), p.kind(), p.group(),
            plan.transfers().size(), Math.round(plan.movedFraction() * 1000) / 10.0);
        MigrationRecord r = new MigrationRecord(m);
        launch(r);
        return r;
      }
    }
  }

  /** Starts adding ({@code add-peer}) or removing ({@code remove-peer}) one replica of {@code group}. */
  public MigrationRecord changePeers(String kind, String group, Peer peer) {
    for (int attempt = 1; ; attempt++) {
      Topology t = store.topology();
      Peer p = peer;
      if (kind.equals(Migration.REMOVE_PEER)) {
        // Only the id is given; the record names the replica fully, as it is in the group.
        p = t.group(group).flatMap(g -> g.peers().stream().filter(x -> x.id().equals(peer.id())).findFirst())
            .orElse(peer);
      }
      MembershipChange.check(t, kind, group, p, null);
      long now = store.now();
      Migration m = MembershipChange.record(newId(kind, group, now), kind, group, p, t, id, now);
      if (create(m, t, attempt)) {
        LOG.info("migration {}: {} {} in group {} started", m.id(), kind, p, group);
        MigrationRecord r = new MigrationRecord(m);
        launch(r);
        return r;
      }
    }
  }

  /** Creates the record; false if the topology moved meanwhile (plan again), the refusal if it is a real one. */
  private boolean create(Migration m, Topology plannedFrom, int attempt) {
    try {
      store.create(m, plannedFrom.version());
      return true;
    } catch (OutcomeUnknownException e) {
      // A resend the meta group answered "already applied" (or no answer in time): created if a record of its id is
      // there. Not "equal to m": the id is new, so only this create wrote it, and while the resend waits (seconds,
      // when the meta replicas restart) this proxy's watchdog resumes a record it holds but does not run, renewing
      // its heartbeat.
      if (store.holds(m.id(), created -> true)) {
        return true;
      }
      throw e;
    } catch (KvException e) {
      if (e.code() == ErrorCode.CONFLICT && attempt < 10 && store.topology().version() != plannedFrom.version()) {
        return false;
      }
      throw e;
    }
  }

  private static void refuseIfBusy(Topology t) {
    Migration other = t.inFlightMigration().orElse(null);
    if (other != null) {
      throw new KvException(ErrorCode.CONFLICT, "another change is in flight: " + other.kind() + " " + other.id()
          + " (" + other.phase() + ")");
    }
  }

  private static String newId(String kind, String group, long nowMs) {
    return kind + "-" + group + "-" + Long.toString(nowMs, 36) + Integer.toString(
        ThreadLocalRandom.current().nextInt(36 * 36), 36);
  }

  // ---- steering ----

  public Optional<MigrationRecord> get(String migrationId) {
    return store.read(migrationId);
  }

  public Topology topology() {
    return store.topology();
  }

  /** Changes a running migration's throttle and/or batch size; its coordinator applies them within a heartbeat. */
  public MigrationRecord patch(String migrationId, Long throttleKeysPerSecond, Integer batchSize) {
    checkThrottle(throttleKeysPerSecond == null ? 0 : throttleKeysPerSecond,
        batchSize == null ? MigrationRecord.DEFAULT_BATCH : batchSize);
    return update(migrationId, r -> {
      if (!r.inFlight()) {
        throw new KvException(ErrorCode.CONFLICT, "migration " + migrationId + " already ended (" + r.phase() + ")");
      }
      return r.withAttributes(store.now(), a -> {
        if (throttleKeysPerSecond != null) {
          a.put("throttleKeysPerSecond", Long.toString(throttleKeysPerSecond));
        }
        if (batchSize != null) {
          a.put("batchSize", Integer.toString(batchSize));
        }
      });
    });
  }

  /** Asks for a cancel (idempotent); CONFLICT once the migration is past copying or not a group migration. */
  public MigrationRecord cancel(String migrationId) {
    return update(migrationId, r -> {
      if (r.cancelled() || (r.cancelRequested() && r.inFlight())) {
        return r;
      }
      if (!r.isGroupMigration()) {
        throw new KvException(ErrorCode.CONFLICT, "a membership change cannot be cancelled");
      }
      if (!r.inFlight() || !MigrationRecord.CANCELLABLE_STEPS.contains(r.step())) {
        throw new KvException(ErrorCode.CONFLICT, "migration " + migrationId + " is " + r.phase()
            + ": past copying, it can no longer be cancelled");
      }
      return r.withAttributes(store.now(), a -> a.put("cancelRequested", "true"));
    });
  }

  private MigrationRecord update(String migrationId, java.util.function.UnaryOperator<MigrationRecord> change) {
    return store.update(migrationId, c -> change.apply(c.record()));
  }

  static void checkThrottle(long keysPerSecond, int batchSize) {
    if (keysPerSecond < 0) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "throttleKeysPerSecond must be >= 0 (0 = unlimited)");
    }
    if (batchSize < 1 || batchSize > MigrationRecord.MAX_BATCH) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "batchSize must be within 1.." + MigrationRecord.MAX_BATCH);
    }
  }

  @Override
  public void close() {
    running = false;
    if (watchdog != null) {
      watchdog.interrupt();
    }
    runs.values().forEach(MigrationRun::stop);
  }
}
