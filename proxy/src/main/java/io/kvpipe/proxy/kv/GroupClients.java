package io.kvpipe.proxy.kv;

import io.kvpipe.client.GroupCommit;
import io.kvpipe.client.RaftTls;
import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.common.wire.PeerAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link ShardGroupClient} per shard group of the topology (by name, talking to its current incarnation's Raft
 * group), created when a group appears, rebuilt when its replica list or incarnation changes, closed when it goes
 * away. A replaced client is closed only after {@code grace} so requests already in flight on it can finish.
 *
 * <p>Threads: {@link #update} runs on the topology watcher's thread (synchronized); {@link #get} is lock-free from
 * request threads.
 */
public final class GroupClients implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GroupClients.class);

  /** A client, when it was built and when a call on it last succeeded (for spotting a wedged client). */
  private record Held(ShardGroup spec, ShardGroupClient client, long builtNanos, AtomicLong lastSuccessNanos) {
    Held(ShardGroup spec, ShardGroupClient client) {
      this(spec, client, System.nanoTime(), new AtomicLong(System.nanoTime()));
    }
  }

  private final Duration operationTimeout;
  private final RaftTls tls;
  private final Map<String, Held> clients = new ConcurrentHashMap<>();
  /** What clients no longer held had sent: the totals stay monotonic across replacements. Under this's lock. */
  private GroupCommit.Stats retired = new GroupCommit.Stats(0, 0, 0, 0);

  public GroupClients(Duration operationTimeout, RaftTls tls) {
    this.operationTimeout = operationTimeout;
    this.tls = tls;
  }

  /** The client of {@code group}, or null if the topology has no such group. */
  public ShardGroupClient get(String group) {
    Held h = clients.get(group);
    return h == null ? null : h.client();
  }

  /** A call on {@code group}'s client succeeded. */
  public void succeeded(String group) {
    Held h = clients.get(group);
    if (h != null) {
      h.lastSuccessNanos().set(System.nanoTime());
    }
  }

  /**
   * A call on {@code group}'s client timed out. If nothing has succeeded on that client for two operation timeouts
   * (and it is at least that old), it is replaced: a Ratis client whose ordered request window is stuck behind a lost
   * request would otherwise keep failing every request for minutes.
   */
  public synchronized void timedOut(String group) {
    Held h = clients.get(group);
    long now = System.nanoTime();
    long limit = 2 * operationTimeout.toNanos();
    if (h == null || now - h.lastSuccessNanos().get() < limit || now - h.builtNanos() < limit) {
      return;
    }
    LOG.warn("no call on group {}'s client succeeded for {} ms; replacing the client", group, limit / 1_000_000);
    clients.put(group, new Held(h.spec(), newClient(h.spec())));
    closeLater(h.client());
  }

  public synchronized void update(Topology topology) {
    Set<String> seen = new HashSet<>();
    for (ShardGroup g : topology.groups()) {
      seen.add(g.id());
      Held old = clients.get(g.id());
      if (old != null && old.spec().equals(g)) {
        continue;
      }
      clients.put(g.id(), new Held(g, newClient(g)));
      if (old != null) {
        LOG.info("group {} replicas changed to {}; replacing its client", g.id(), g.peers());
        closeLater(old.client());
      }
    }
    for (String id : Set.copyOf(clients.keySet())) {
      if (!seen.contains(id)) {
        closeLater(clients.remove(id).client());
      }
    }
  }

  private ShardGroupClient newClient(ShardGroup g) {
    return ShardGroupClient.builder(g.raftName(),
            g.peers().stream().map(p -> PeerAddress.parse(p.toString())).toList())
        .operationTimeout(operationTimeout)
        // Per attempt: one stuck on a paused or cut-off leader gives way to a retry on the new leader (elected in
        // 300-600 ms) after a second, not three (the robustness suite saw 3-17 s without writes per such fault).
        .rpcTimeout(Duration.ofMillis(Math.max(500, Math.min(1000, operationTimeout.toMillis()))))
        .tls(tls)
        .build();
  }

  /** Requests sent to the groups and the operations they carried (group commit), over every client ever held. */
  public synchronized GroupCommit.Stats groupCommitStats() {
    GroupCommit.Stats sum = retired;
    for (Held h : clients.values()) {
      sum = plus(sum, h.client().groupCommitStats());
    }
    return sum;
  }

  private static GroupCommit.Stats plus(GroupCommit.Stats a, GroupCommit.Stats b) {
    return new GroupCommit.Stats(a.writeRequests() + b.writeRequests(), a.writeOps() + b.writeOps(),
        a.readRequests() + b.readRequests(), a.readOps() + b.readOps());
  }

  /** Caller holds the lock; {@code c} is no longer in {@link #clients}. */
  private void closeLater(ShardGroupClient c) {
    retired = plus(retired, c.groupCommitStats());
    CompletableFuture.delayedExecutor(operationTimeout.toMillis() * 2, TimeUnit.MILLISECONDS).execute(c::close);
  }

  @Override
  public synchronized void close() {
    clients.values().forEach(h -> h.client().close());
    clients.clear();
  }
}
