package io.kvpipe.node;

import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.node.cdc.LeaderPublishing;
import io.kvpipe.node.meta.MetaGroup;
import io.kvpipe.node.reconcile.ReplicaHost;
import io.kvpipe.node.shard.ShardStateMachine;
import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates and removes this node's shard replicas as the reconciler asks ({@link ReplicaHost}), around Ratis's group
 * management: an add that outlasts its wait is tracked until Ratis finishes it and attached only then, a failed add's
 * directory is set aside, a removal stops publishing first and keeps the data aside, and a replica still holding
 * unpublished change events is not removed. {@link KvNode} owns the server, the replicas' state machines and their
 * publishers; this class only drives their lifecycle.
 *
 * <p>Threads: the reconciler's thread calls every {@link ReplicaHost} method; {@link #inFlight} and {@link #adding}
 * are read by the node's watches and status from any thread.
 */
final class ReplicaLifecycle implements ReplicaHost {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicaLifecycle.class);

  private final RaftServer server;
  private final NodeConfig config;
  private final Map<RaftGroupId, String> groupNames;
  private final Map<String, ShardStateMachine> shards;
  private final Map<String, LeaderPublishing> publishers;
  private final PrometheusMeterRegistry registry;
  /** Starts a replica's metrics and publishing, once Ratis runs it. */
  private final Consumer<ShardStateMachine> attach;
  private final Path removedGroupsDir;
  private final AtomicLong callIds = new AtomicLong();
  /** Groups whose add by {@link #createReplica} failed and left a directory behind; reconciler thread only. */
  private final Set<RaftGroupId> leftByFailedAdd = new HashSet<>();
  /**
   * Adds Ratis had not finished when {@link #createReplica} stopped waiting, by group. Settled (attached, or cleaned up
   * if Ratis failed it) by the reconciler thread: at the top of each of its loops ({@link #finishPendingAdds}), or by
   * the next createReplica of the group. Concurrent only so that whoever settles one does it exactly once
   * ({@code remove(group, future)}), should a test call createReplica beside the reconciler.
   */
  private final Map<String, CompletableFuture<RaftClientReply>> pendingAdds =
      new ConcurrentHashMap<>();
  /**
   * Groups Ratis is adding now, from the request until Ratis finishes (however long after createReplica stopped
   * waiting): asking Ratis for such a group's division waits for the add, so the watches skip them.
   */
  private final Set<RaftGroupId> addsInFlight = ConcurrentHashMap.newKeySet();
  /** Pending adds of groups the topology took away meanwhile: removed, not attached, once added. Reconciler thread. */
  private final Set<String> removeOnceAdded = ConcurrentHashMap.newKeySet();

  ReplicaLifecycle(RaftServer server, NodeConfig config, Map<RaftGroupId, String> groupNames,
                   Map<String, ShardStateMachine> shards, Map<String, LeaderPublishing> publishers,
                   PrometheusMeterRegistry registry, Consumer<ShardStateMachine> attach, Path removedGroupsDir) {
    this.server = server;
    this.config = config;
    this.groupNames = groupNames;
    this.shards = shards;
    this.publishers = publishers;
    this.registry = registry;
    this.attach = attach;
    this.removedGroupsDir = removedGroupsDir;
  }

  /** Whether Ratis is adding this group now: asking Ratis for its division would wait for the add. Any thread. */
  boolean inFlight(RaftGroupId gid) {
    return addsInFlight.contains(gid);
  }

  /** Groups being added, including adds createReplica stopped waiting for that are not settled yet. Any thread. */
  Set<RaftGroupId> adding() {
    Set<RaftGroupId> adding = new HashSet<>(addsInFlight);
    pendingAdds.keySet().forEach(g -> adding.add(gid(g)));
    return adding;
  }

  @Override
  public Set<String> hostedShardGroups() {
    Set<String> out = new TreeSet<>();
    for (RaftGroupId gid : server.getGroupIds()) {
      String name = groupNames.get(gid);
      if (name != null && !MetaGroup.isMeta(gid)) {
        out.add(name);
      }
    }
    return out;
  }

  /**
   * Ratis adds replicas one at a time on a single thread of its own, and an add can hang there (a state machine slow
   * to start, storage that does not answer). So the wait is bounded: past {@code --replica-add-timeout-ms} the add is
   * left to finish on its own and tracked in {@link #pendingAdds}, the reconciler goes on (removals still work: Ratis
   * does not run them on that thread), and the replica is attached (metrics, CDC) once Ratis finishes it, never before:
   * a replica without its publisher would commit writes whose change events nobody sends.
   */
  @Override
  public void createReplica(String group, List<Peer> peers) throws IOException {
    RaftGroupId gid = gid(group);
    if (pendingAdds.containsKey(group)) {
      // An earlier round's add that Ratis failed meanwhile throws its failure here, cleaned up after: the next round
      // adds the group again.
      if (!settlePendingAdd(group)) {
        throw new IOException("Ratis is still adding group " + group + " (an earlier round's add, past "
            + addTimeout() + "); it is attached once Ratis finishes it");
      }
      if (isHosted(gid)) {
        return; // the earlier add finished, and is attached now
      }
    }
    if (!pendingAdds.isEmpty()) {
      // Ratis would queue this add behind the unfinished one on its single group-management thread.
      throw new IOException("not adding group " + group + " yet: Ratis is still adding " + pendingAdds.keySet()
          + ", and it adds one group at a time");
    }
    Path dir = config.dataDir().resolve(gid.getUuid().toString());
    if (Files.exists(dir)) {
      if (!leftByFailedAdd.remove(gid)) {
        // Not hosted, yet its directory is there: it failed to load at start, or its removal has not finished (a
        // late rename would take a new replica's directory away). Formatting it would destroy the evidence.
        throw new IOException("group " + group + " has a directory that failed to load, or whose removal has not"
            + " finished; not reformatting it");
      }
      // Our own earlier add of it failed: Ratis creates a replica's directory when it starts the replica and leaves it
      // behind when that start fails. Refusing it would keep this node from ever hosting the group. It is kept aside
      // for whoever looks into why the add failed, named so that it is not taken for a removed replica's data.
      Files.createDirectories(removedGroupsDir);
      Path to = removedGroupsDir.resolve("failed-add-" + group + "-" + gid.getUuid() + "-"
          + System.currentTimeMillis());
      Files.move(dir, to);
      LOG.warn("group {}: an earlier add of it failed and left its directory; moved that to {}, adding it again",
          group, to);
    }
    groupNames.put(gid, group);
    List<RaftPeer> raftPeers = peers.stream().map(MetaGroup::raftPeer).toList();
    addsInFlight.add(gid);
    CompletableFuture<RaftClientReply> add = server.groupManagementAsync(
        GroupManagementRequest.newAdd(ClientId.randomId(), server.getId(), callIds.incrementAndGet(),
            RaftGroup.valueOf(gid, raftPeers), true));
    add.whenComplete((reply, error) -> addsInFlight.remove(gid));
    try {
      add.get(addTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      pendingAdds.put(group, add);
      throw new IOException("Ratis did not finish adding group " + group + " within " + addTimeout()
          + "; the add goes on, and the replica is attached (metrics, CDC) once Ratis finishes it", e);
    } catch (ExecutionException e) {
      // Settled below, like an add that finished with a failure reply.
    } catch (InterruptedException e) {
      pendingAdds.put(group, add);
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while adding group " + group + "; the add goes on", e);
    }
    settleAdd(group, add);
  }

  private Duration addTimeout() {
    return Duration.ofMillis(config.replicaAddTimeoutMs());
  }

  /**
   * Settles every add {@link #createReplica} stopped waiting for that Ratis has finished since: attaches the replicas
   * it added, cleans up after those it failed (the next round adds them again). Reconciler thread.
   */
  @Override
  public void finishPendingAdds() {
    for (String group : List.copyOf(pendingAdds.keySet())) {
      try {
        settlePendingAdd(group);
      } catch (IOException | RuntimeException e) {
        LOG.warn("group {}: Ratis finished adding it late, and failed: {}; the next round adds it again", group,
            e.toString());
      }
    }
  }

  /** Settles the group's pending add if Ratis finished it; false if it is still under way. */
  private boolean settlePendingAdd(String group) throws IOException {
    CompletableFuture<RaftClientReply> add = pendingAdds.get(group);
    if (add == null || !add.isDone()) {
      return add == null;
    }
    if (!pendingAdds.remove(group, add)) {
      return true; // another thread settled it
    }
    if (removeOnceAdded.remove(group)) {
      if (!add.isCompletedExceptionally() && add.join().isSuccess()) {
        LOG.info("group {}: Ratis finished adding it late; removing it, as the topology asked meanwhile", group);
        removeReplica(group);
      } else {
        shards.remove(group);
      }
      return true;
    }
    settleAdd(group, add);
    LOG.info("group {}: Ratis finished adding it after {} had passed; attached it now", group, addTimeout());
    return true;
  }

  /** Attaches the replica a finished add started, or cleans up after a failed one and throws why. */
  private void settleAdd(String group, CompletableFuture<RaftClientReply> add)
      throws IOException {
    RaftGroupId gid = gid(group);
    Throwable failure;
    try {
      RaftClientReply reply = add.join();
      failure = reply.isSuccess() ? null : reply.getException();
      if (failure == null) {
        LOG.info("created group {} ({})", group, gid);
      }
    } catch (CompletionException | CancellationException e) {
      failure = e.getCause() != null ? e.getCause() : e;
    }
    if (failure != null) {
      if (!isHosted(gid)) {
        // The state machine Ratis asked for is not serving anything: status and CDC views must not list it.
        shards.remove(group);
        if (Files.exists(config.dataDir().resolve(gid.getUuid().toString()))) {
          leftByFailedAdd.add(gid);
        }
      }
      throw failure instanceof IOException io ? io
          : new IOException("cannot create group " + group + ": " + failure, failure);
    }
    ShardStateMachine shard = shards.get(group);
    if (shard == null) {
      throw new IllegalStateException("group " + group + " was added but its state machine is not known");
    }
    attach.accept(shard);
  }

  private boolean isHosted(RaftGroupId gid) {
    for (RaftGroupId g : server.getGroupIds()) {
      if (g.equals(gid)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String removalBlocker(String group, long publishedUpTo) {
    if (pendingAdds.containsKey(group)) {
      // Ratis has not started it (and reading its state would wait for Ratis): it holds no entry of its own.
      return null;
    }
    ShardStateMachine shard = shards.get(group);
    if (shard == null) {
      return null;
    }
    int unpublished = shard.pendingAfter(publishedUpTo, Integer.MAX_VALUE).size();
    if (unpublished > 0) {
      return "it holds " + unpublished + " change events not published to Kafka yet";
    }
    if (publishedUpTo < 0) {
      // Nobody recorded what was published, so each replica judges by its own outbox: only once it applied all it
      // knows committed, and a leader only once every follower has its whole log (the confirmations included). So the
      // leader leaves last, and no follower behind it is left alone with events it can neither publish nor see
      // confirmed. (A follower the last entries have not reached yet cannot know; the leader still holds them.)
      try {
        RaftServer.Division d = server.getDivision(gid(group));
        long applied = d.getInfo().getLastAppliedIndex();
        long committed = d.getRaftLog().getLastCommittedIndex();
        if (applied < committed) {
          return "it applied log index " + applied + " of " + committed + " committed";
        }
        long last = d.getRaftLog().getLastEntryTermIndex() == null ? 0
            : d.getRaftLog().getLastEntryTermIndex().getIndex();
        if (d.getInfo().isLeader()) {
          for (long match : d.getInfo().getFollowerMatchIndices()) {
            if (match < last) {
              return "it leads and a follower has its log up to index " + match + " of " + last + " only";
            }
          }
        }
      } catch (IOException e) {
        return "its state is unknown: " + e.getMessage();
      }
    }
    return null;
  }

  @Override
  public void removeReplica(String group) throws IOException {
    RaftGroupId gid = gid(group);
    if (pendingAdds.containsKey(group) && !settlePendingAdd(group)) {
      // Removing a replica Ratis is still starting would race its start; it is removed, not attached, once the add
      // finishes (the roster already says left, so a restart sets it aside too).
      removeOnceAdded.add(group);
      LOG.warn("group {}: to be removed while Ratis is still adding it; removed once that add finishes", group);
      return;
    }
    // Publishing stops first: a replica on its way out must not send one more event.
    LeaderPublishing publisher = publishers.remove(group);
    if (publisher != null) {
      publisher.close();
    }
    RaftClientReply reply = removeWithin(gid, group, REMOVE_TIMEOUT);
    if (!reply.isSuccess()) {
      throw new IOException("cannot remove group " + group + ": " + reply.getException(), reply.getException());
    }
    shards.remove(group);
    List<Meter> meters = registry.getMeters().stream().filter(m -> group.equals(m.getId().getTag("group"))).toList();
    meters.forEach(registry::remove);
    // Ratis moved the directory to removed-groups/<uuid>; a later removal of the same group would collide there.
    Path moved = removedGroupsDir.resolve(gid.getUuid().toString());
    if (Files.isDirectory(moved)) {
      Files.move(moved, removedGroupsDir.resolve(group + "-" + gid.getUuid() + "-" + System.currentTimeMillis()));
    }
    LOG.info("removed group {} ({}); its data is kept under {}", group, gid, removedGroupsDir);
  }

  private static final Duration REMOVE_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Ratis's group removal waits for the replica to close, and a close can hang (a leader that removed itself closes
   * its replica from inside Ratis, which can deadlock with a request being submitted): the wait is bounded, so one
   * stuck removal never stops the node from following the topology. The roster already says "left", so the next
   * start sets the directory aside.
   */
  private RaftClientReply removeWithin(RaftGroupId gid, String group, Duration timeout) throws IOException {
    CompletableFuture<RaftClientReply> done = new CompletableFuture<>();
    Thread.ofPlatform().daemon().name("remove-group-" + group).start(() -> {
      try {
        done.complete(server.groupManagement(GroupManagementRequest.newRemove(ClientId.randomId(), server.getId(),
            callIds.incrementAndGet(), gid, false, true)));
      } catch (IOException | RuntimeException e) {
        done.completeExceptionally(e);
      }
    });
    try {
      return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IOException("Ratis did not finish removing group " + group + " within " + timeout
          + "; it no longer serves it, and its directory is set aside at the next start", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while removing group " + group, e);
    }
  }

  private static RaftGroupId gid(String name) {
    return RaftGroupId.valueOf(GroupIds.uuidOf(name));
  }
}
