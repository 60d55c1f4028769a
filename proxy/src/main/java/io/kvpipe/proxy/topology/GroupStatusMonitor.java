package io.kvpipe.proxy.topology;

import io.kvpipe.common.topology.NodeInfo;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.ratis.protocol.RaftGroupId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every {@code interval}, asks each replica of each shard group for its Raft state (Ratis group info: role, leader,
 * commit and applied index, the leader's last contact with each follower) and each group's leader for its CDC outbox,
 * and keeps the result ({@link GroupStatus} per group) for {@code /api/topology/shards} and the proxy's readiness.
 *
 * <p>Threads: rounds run on one scheduler thread ({@link #refresh()} serializes with it); the questions run in parallel
 * on virtual threads; {@code latest} is replaced whole.
 */
public final class GroupStatusMonitor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GroupStatusMonitor.class);

  /** The statuses of one round, by group id, and when the round started. */
  public record Snapshot(Map<String, GroupStatus> groups, long collectedAtMs) {
    public static final Snapshot NONE = new Snapshot(Map.of(), 0);
  }

  private final Supplier<Topology> topology;
  private final Function<String, CompletableFuture<Reply.Status>> cdcStatus;
  private final Duration interval;
  private final Duration timeout;
  private final NodeProber prober;
  /** The meta group (id {@code meta}, the proxy's meta peers), asked like a shard group but without CDC; or null. */
  private final ShardGroup meta;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().daemon().name("group-status").factory());
  private final ExecutorService asks = Executors.newVirtualThreadPerTaskExecutor();
  private volatile Snapshot latest = Snapshot.NONE;

  /**
   * @param cdcStatus a group's CDC status from its leader by group id (a future failing or null if it has no client)
   * @param prober shared with the {@link HealthMonitor}, which keeps its clients in step with the topology; its owner
   *     closes it
   */
  public GroupStatusMonitor(Supplier<Topology> topology, Function<String, CompletableFuture<Reply.Status>> cdcStatus,
                            Duration interval, Duration timeout, NodeProber prober) {
    this(topology, cdcStatus, interval, timeout, prober, null);
  }

  /** @param meta the meta group, whose status is collected too under its id ({@code meta}); null: not asked */
  public GroupStatusMonitor(Supplier<Topology> topology, Function<String, CompletableFuture<Reply.Status>> cdcStatus,
                            Duration interval, Duration timeout, NodeProber prober, ShardGroup meta) {
    this.meta = meta;
    this.topology = topology;
    this.cdcStatus = cdcStatus;
    this.interval = interval;
    this.timeout = timeout;
    this.prober = prober;
  }

  public void start() {
    scheduler.scheduleWithFixedDelay(() -> {
      try {
        refresh();
      } catch (RuntimeException e) {
        LOG.warn("group status round failed: {}", e.toString());
      }
    }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The last round's result ({@link Snapshot#NONE} before the first). */
  public Snapshot latest() {
    return latest;
  }

  /** How old a snapshot may be and still count: several rounds, so a slow round or two do not flip readiness. */
  public Duration maxAge() {
    Duration rounds = interval.multipliedBy(5).plus(timeout.multipliedBy(2));
    return rounds.compareTo(Duration.ofSeconds(10)) > 0 ? rounds : Duration.ofSeconds(10);
  }

  /** Runs a round now and returns it. */
  public synchronized Snapshot refresh() {
    Topology t = topology.get();
    long now = System.currentTimeMillis();
    Map<String, Future<GroupStatus>> pending = new LinkedHashMap<>();
    for (ShardGroup g : t.groups()) {
      pending.put(g.id(), asks.submit(() -> collect(t, g, now, true)));
    }
    if (meta != null) {
      pending.put(meta.id(), asks.submit(() -> collect(t, meta, now, false)));
    }
    Map<String, GroupStatus> out = new LinkedHashMap<>();
    pending.forEach((id, f) -> {
      try {
        out.put(id, f.get(timeout.toMillis() * 2 + 1000, TimeUnit.MILLISECONDS));
      } catch (Exception e) {
        f.cancel(true);
        LOG.debug("status of group {} not collected: {}", id, e.toString());
      }
    });
    Snapshot s = new Snapshot(Map.copyOf(out), now);
    latest = s;
    return s;
  }

  /** The meta group's status from the last round, or null. */
  public GroupStatus metaStatus() {
    return meta == null ? null : latest.groups().get(meta.id());
  }

  private GroupStatus collect(Topology t, ShardGroup g, long now, boolean withCdc) throws InterruptedException {
    // The meta group's Raft name is its id ("meta"): it has no incarnations.
    RaftGroupId gid = RaftGroupId.valueOf(GroupIds.uuidOf(withCdc ? g.raftName() : g.id()));
    Map<String, Future<ReplicaInfo>> asked = new HashMap<>();
    Map<String, String> errors = new HashMap<>();
    for (Peer p : g.peers()) {
      NodeInfo node = t.node(p.id()).filter(n -> n.address().equals(p.address()))
          .orElseGet(() -> new NodeInfo(p.id(), p.address(), true, 0, ""));
      if (!node.up()) {
        // Recorded down by the health monitor, which keeps probing it and records it up when it answers: asking it
        // here too would only add RPCs to a dead address every round.
        errors.put(p.id(), "node recorded down (not asked)");
        continue;
      }
      asked.put(p.id(), asks.submit(() -> ReplicaInfo.of(p.id(), prober.groupInfo(node, gid))));
    }
    Map<String, ReplicaInfo> infos = new HashMap<>();
    for (Map.Entry<String, Future<ReplicaInfo>> e : asked.entrySet()) {
      try {
        infos.put(e.getKey(), e.getValue().get(timeout.toMillis() + 500, TimeUnit.MILLISECONDS));
      } catch (java.util.concurrent.ExecutionException ex) {
        errors.put(e.getKey(), String.valueOf(ex.getCause()));
      } catch (java.util.concurrent.TimeoutException ex) {
        e.getValue().cancel(true);
        errors.put(e.getKey(), "no answer within " + timeout.toMillis() + " ms");
      }
    }
    Reply.Status status = null;
    String cdcError = null;
    if (!withCdc) {
      return GroupStatus.aggregate(g.id(), g.id(), g.peers(), infos, errors, null, "none (the meta group has no CDC)",
          now);
    }
    // Only once a replica answered this round as the leader: a group whose leader died would otherwise get an ask
    // through the proxy's group client every round, failing against the dead node, and each such failure makes Ratis
    // reset that client's channel with a blocking shutdown on its shared timer threads, which the proxy's own meta
    // reads need (the killed-node test saw its topology reloads stall behind them).
    if (infos.values().stream().noneMatch(ReplicaInfo::leads)) {
      return GroupStatus.aggregate(g.id(), g.raftName(), g.peers(), infos, errors, null,
          "no replica answered as leader this round: not asked", now);
    }
    CompletableFuture<Reply.Status> cdc = askCdc(g.id());
    try {
      status = cdc.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      cdcError = String.valueOf(e.getCause() instanceof java.util.concurrent.CompletionException c
          ? c.getCause() : e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      cdc.cancel(true);
      cdcError = "no answer within " + timeout.toMillis() + " ms";
    }
    return GroupStatus.aggregate(g.id(), g.raftName(), g.peers(), infos, errors, status, cdcError, now);
  }

  private CompletableFuture<Reply.Status> askCdc(String group) {
    try {
      CompletableFuture<Reply.Status> f = cdcStatus.apply(group);
      return f != null ? f : CompletableFuture.failedFuture(new IllegalStateException("no client for " + group));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Problems for readiness: each ring group without a reachable leader, or a result too old. */
  public List<String> leaderProblems(Topology t, long nowMs) {
    Snapshot s = latest;
    List<String> problems = new ArrayList<>();
    if (s.collectedAtMs() == 0) {
      problems.add("group leaders not collected yet");
      return problems;
    }
    if (nowMs - s.collectedAtMs() > maxAge().toMillis()) {
      problems.add("group leaders last collected " + (nowMs - s.collectedAtMs()) + " ms ago");
      return problems;
    }
    for (String member : t.ringMembers()) {
      GroupStatus g = s.groups().get(member);
      if (g == null) {
        problems.add("group " + member + ": status not collected");
      } else if (!g.hasLeader()) {
        problems.add("group " + member + " has no reachable leader ("
            + String.join(", ", g.replicas().stream().map(r -> r.id() + " " + r.role()).toList()) + ")");
      }
    }
    return problems;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    asks.shutdownNow();
  }
}
