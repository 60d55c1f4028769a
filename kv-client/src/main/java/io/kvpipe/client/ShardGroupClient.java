package io.kvpipe.client;

import io.kvpipe.common.Keys;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.MigrationToken;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import io.kvpipe.common.wire.ScanCursor;
import io.kvpipe.common.wire.WireCodec;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.TimeDuration;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.rpc.SupportedRpcType;

/**
 * Client of one shard group (its replicas' gRPC addresses). Writes go to the leader through Ratis, which finds it,
 * follows leader changes and retries; reads are linearizable unless {@code stale} is asked for, in which case any
 * replica answers from its applied state. Every method has an async form (many may be in flight; they are pipelined
 * over one connection per replica) and a blocking one. Failures are {@link KvException}s (async: the future's cause).
 * Thread-safe.
 */
public final class ShardGroupClient implements AutoCloseable {
  private static final TimeDuration RETRY_SLEEP = TimeDuration.valueOf(50, TimeUnit.MILLISECONDS);

  private final String group;
  private final RaftGroup raftGroup;
  private final RaftClientSlot raft;
  /** Stale reads go to one chosen replica; a short retry budget lets us move on to the next one quickly. */
  private final RaftClientSlot staleRaft;
  private final AtomicInteger staleCursor = new AtomicInteger();
  private final Duration operationTimeout;
  /**
   * Replies are decoded, and callers' callbacks run, here rather than on Ratis's reply threads: a caller that issues
   * its next request from a callback (a closed loop, a pipeline) would otherwise block the very thread that delivers
   * replies once Ratis's request window is full, and every request would hang.
   */
  private final ExecutorService callbacks;
  /** Group commit: concurrent puts and deletes share a log entry; concurrent linearizable gets share a read round. */
  private final Coalescer writes;
  private final Coalescer reads;

  private ShardGroupClient(String group, List<PeerAddress> peers, Duration operationTimeout, Duration rpcTimeout,
                           GroupCommit groupCommit) {
    this.group = GroupIds.checkName(group);
    this.operationTimeout = operationTimeout;
    List<RaftPeer> raftPeers = new ArrayList<>();
    for (PeerAddress p : peers) {
      raftPeers.add(RaftPeer.newBuilder().setId(p.id()).setAddress(p.address()).build());
    }
    this.raftGroup = RaftGroup.valueOf(RaftGroupId.valueOf(GroupIds.uuidOf(group)), raftPeers);
    int attempts = (int) Math.max(1, operationTimeout.toMillis() / RETRY_SLEEP.toLong(
        TimeUnit.MILLISECONDS));
    RetryPolicy retry = RetryPolicies.retryUpToMaximumCountWithFixedSleep(attempts, RETRY_SLEEP);
    RetryPolicy staleRetry = RetryPolicies.retryUpToMaximumCountWithFixedSleep(2, RETRY_SLEEP);
    this.callbacks = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "kv-client-" + group + "-replies");
      t.setDaemon(true);
      return t;
    });
    this.raft = new RaftClientSlot(() -> newRaftClient(rpcTimeout, retry));
    this.staleRaft = new RaftClientSlot(() -> newRaftClient(rpcTimeout, staleRetry));
    this.writes = new Coalescer(group, groupCommit, true, ops -> new Command.Batch(ops.stream()
        .map(Command.class::cast).toList()), this::send, operationTimeout);
    this.reads = new Coalescer(group, groupCommit, false, qs -> new Query.Batch(qs.stream()
        .map(Query.class::cast).toList()),
        q -> linearizableRead(toMessage(q), System.nanoTime() + operationTimeout.toNanos()), operationTimeout);
  }

  /** A client with default timeouts (10 s per operation including retries across leader changes). */
  public static ShardGroupClient connect(String group, List<PeerAddress> peers) {
    return builder(group, peers).build();
  }

  public static Builder builder(String group, List<PeerAddress> peers) {
    return new Builder(group, peers);
  }

  public static final class Builder {
    private final String group;
    private final List<PeerAddress> peers;
    private Duration operationTimeout = Duration.ofSeconds(10);
    private Duration rpcTimeout = Duration.ofSeconds(3);
    private GroupCommit groupCommit = GroupCommit.DEFAULT;

    private Builder(String group, List<PeerAddress> peers) {
      this.group = group;
      this.peers = List.copyOf(peers);
      if (this.peers.isEmpty()) {
        throw new IllegalArgumentException("group " + group + " needs at least one peer");
      }
    }

    /** How long one operation may take in all, retries across leader changes included. */
    public Builder operationTimeout(Duration d) {
      this.operationTimeout = d;
      return this;
    }

    /** How long one RPC attempt may take. */
    public Builder rpcTimeout(Duration d) {
      this.rpcTimeout = d;
      return this;
    }

    /** How concurrent operations are batched ({@link GroupCommit#OFF}: one request each). */
    public Builder groupCommit(GroupCommit g) {
      this.groupCommit = java.util.Objects.requireNonNull(g, "groupCommit");
      return this;
    }

    public ShardGroupClient build() {
      return new ShardGroupClient(group, peers, operationTimeout, rpcTimeout, groupCommit);
    }
  }

  private RaftClient newRaftClient(Duration rpcTimeout, RetryPolicy retry) {
    RaftProperties props = new RaftProperties();
    RaftConfigKeys.Rpc.setType(props, SupportedRpcType.GRPC);
    RaftClientConfigKeys.Rpc.setRequestTimeout(props,
        TimeDuration.valueOf(rpcTimeout.toMillis(), TimeUnit.MILLISECONDS));
    RaftClientConfigKeys.Async.setOutstandingRequestsMax(props, 4096);
    return RaftClient.newBuilder()
        .setClientId(ClientId.randomId())
        .setRaftGroup(raftGroup)
        .setProperties(props)
        .setParameters(new Parameters())
        .setRetryPolicy(retry)
        .build();
  }

  public String group() {
    return group;
  }

  // ---- writes ----

  /** Unconditional put; completes with the new version and the previous live value (or null). */
  public CompletableFuture<Reply.Written> putAsync(String key, byte[] value) {
    return putAsync(key, value, Request.ANY_VERSION);
  }

  /**
   * Conditional put: applied only if the key's live version equals {@code expectedVersion} ({@code Versions.NONE}:
   * only if the key has no live value; {@link Request#ANY_VERSION}: unconditional); else VERSION_MISMATCH.
   */
  public CompletableFuture<Reply.Written> putAsync(String key, byte[] value, long expectedVersion) {
    return write(() -> new Command.Put(Keys.validateKey(key), value, expectedVersion));
  }

  /** Deletes (leaves a tombstone with a version, even when the key had no value). */
  public CompletableFuture<Reply.Written> deleteAsync(String key) {
    return deleteAsync(key, Request.ANY_VERSION);
  }

  public CompletableFuture<Reply.Written> deleteAsync(String key, long expectedVersion) {
    return write(() -> new Command.Delete(Keys.validateKey(key), expectedVersion));
  }

  /**
   * Puts several keys, pipelined; completes with each key's new version, or fails with the first error. Not atomic:
   * when it fails, some of the puts may have been applied (each key's version tells which).
   */
  public CompletableFuture<Map<String, Long>> batchPutAsync(Map<String, byte[]> values) {
    Map<String, CompletableFuture<Reply.Written>> futures = new LinkedHashMap<>();
    values.forEach((k, v) -> futures.put(k, putAsync(k, v)));
    return CompletableFuture.allOf(futures.values().toArray(CompletableFuture[]::new)).thenApply(ignored -> {
      Map<String, Long> out = new LinkedHashMap<>();
      futures.forEach((k, f) -> out.put(k, f.join().version()));
      return out;
    });
  }

  /** Sets the hash ranges the group owns from {@code epoch} on, outside any migration (e.g. the first ring). */
  public CompletableFuture<Reply.Ownership> setOwnershipAsync(long epoch, HashRanges ranges) {
    return setOwnershipAsync(epoch, ranges, "");
  }

  /** Fences the group for migration {@code migrationId}: it owns {@code ranges} from {@code epoch} on. */
  public CompletableFuture<Reply.Ownership> setOwnershipAsync(long epoch, HashRanges ranges, String migrationId) {
    return submit(() -> new Command.SetOwnership(epoch, ranges, migrationId))
        .thenApply(r -> expect(r, Reply.Ownership.class));
  }

  /**
   * Asks the group to publish its live state to the CDC topic: every live key as an {@code r} event at one log index
   * (the reply's). Refused (CONFLICT) when the group runs without CDC. The events reach Kafka asynchronously, like any
   * other change; a large store may fill the CDC outbox past its bound, refusing writes until it drains.
   */
  public CompletableFuture<Reply.SnapshotPublished> publishSnapshotAsync() {
    return submit(Command.PublishSnapshot::new).thenApply(r -> expect(r, Reply.SnapshotPublished.class));
  }

  /**
   * Bulk load: every pair put unconditionally in one log entry (at most {@code Query.MAX_ITEMS} pairs, and within
   * the node's message size); all or nothing. Completes with the version every key got.
   */
  public CompletableFuture<Reply.Written> putAllAsync(Map<String, byte[]> values) {
    return submit(() -> new Command.PutAll(values.entrySet().stream()
        .map(e -> new Command.KeyValue(Keys.validateKey(e.getKey()), e.getValue())).toList()))
        .thenApply(r -> expect(r, Reply.Written.class));
  }

  /** Migration copy: applies each record unless the group has a newer one (see {@link Command.MigrateIn}). */
  public CompletableFuture<Reply.Migrated> migrateInAsync(List<Entry> records, MigrationToken token) {
    return submit(() -> new Command.MigrateIn(records, token)).thenApply(r -> expect(r, Reply.Migrated.class));
  }

  /** Removes up to {@code limit} records the group no longer owns (after a migration copied them away). */
  public CompletableFuture<Reply.Purged> purgeUnownedAsync(int limit, MigrationToken token) {
    return submit(() -> new Command.PurgeUnowned(limit, token)).thenApply(r -> expect(r, Reply.Purged.class));
  }

  /** Removes up to {@code limit} tombstones in {@code ranges} (after a migration into them finished). */
  public CompletableFuture<Reply.Purged> collectTombstonesAsync(HashRanges ranges, int limit, MigrationToken token) {
    return submit(() -> new Command.CollectTombstones(ranges, limit, token))
        .thenApply(r -> expect(r, Reply.Purged.class));
  }

  /**
   * Changes the group's replicas to exactly {@code peers} (Ratis setConfiguration), within the client's operation
   * timeout. See {@link #setPeersAsync(List, Duration)}.
   */
  public CompletableFuture<Void> setPeersAsync(List<PeerAddress> peers) {
    return setPeersAsync(peers, operationTimeout);
  }

  /**
   * Changes the group's replicas to exactly {@code peers} (Ratis setConfiguration). New peers catch up first (log
   * replay or a snapshot install) as non-voting staging members; the call completes once the new configuration is
   * committed. A new peer's node must already host the group as a joining replica (created with an empty peer list).
   * Idempotent: asking for the configuration the group already has succeeds at once, so a caller may simply retry.
   *
   * <p>Retried until {@code timeout} (give a new peer that needs a large snapshot more than the operation timeout):
   * lost leaders, timeouts, another reconfiguration still running, a new peer not answering yet. Failures
   * (KvException): CONFLICT when Ratis refuses the change itself (e.g. it would replace a majority at once) or when
   * another reconfiguration was still running at the deadline (the caller's change was not applied);
   * UNAVAILABLE when a new peer never caught up (not reachable, or not hosting the group); TIMEOUT / NO_LEADER
   * otherwise. The group's peers may have changed anyway if the outcome is TIMEOUT: read them back (idempotence makes
   * a plain retry safe).
   */
  public CompletableFuture<Void> setPeersAsync(List<PeerAddress> peers, Duration timeout) {
    if (peers == null || peers.isEmpty()) {
      return CompletableFuture.failedFuture(
          new KvException(ErrorCode.MALFORMED_REQUEST, "group " + group + " needs at least one peer"));
    }
    if (peers.stream().map(PeerAddress::id).distinct().count() != peers.size()) {
      return CompletableFuture.failedFuture(
          new KvException(ErrorCode.MALFORMED_REQUEST, "group " + group + ": a peer id repeats in " + peers));
    }
    List<RaftPeer> target = peers.stream()
        .map(p -> RaftPeer.newBuilder().setId(p.id()).setAddress(p.address()).build()).toList();
    // The Ratis admin call blocks, sometimes for long (staging), so it gets a thread of its own, never a reply thread.
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread.ofVirtual().name("kv-client-" + group + "-set-peers").start(() -> {
      try {
        new PeerChange(group, raftGroup, target, System.nanoTime() + timeout.toNanos()).run();
        done.complete(null);
      } catch (KvException e) {
        done.completeExceptionally(e);
      } catch (RuntimeException e) {
        done.completeExceptionally(new KvException(ErrorCode.INTERNAL, "group " + group + ": " + e, e));
      }
    });
    return done;
  }

  public void setPeers(List<PeerAddress> peers) {
    join(setPeersAsync(peers));
  }

  public void setPeers(List<PeerAddress> peers, Duration timeout) {
    join(setPeersAsync(peers, timeout));
  }

  // ---- reads ----

  /** Linearizable get of the live value; empty when the key is absent or deleted. */
  public CompletableFuture<Optional<Entry>> getAsync(String key) {
    return getAsync(key, false);
  }

  /** Get of the live value; {@code stale} lets any replica answer from possibly older state. */
  public CompletableFuture<Optional<Entry>> getAsync(String key, boolean stale) {
    return readRecordAsync(key, stale).thenApply(o -> o.filter(e -> !e.deleted()));
  }

  /** The key's record, tombstones included (a deleted key gives an entry with {@code deleted() == true}). */
  public CompletableFuture<Optional<Entry>> readRecordAsync(String key, boolean stale) {
    CompletableFuture<Reply> reply;
    if (stale) {
      reply = read(() -> new Query.Get(Keys.validateKey(key)), true);
    } else {
      try {
        byte[] k = Keys.validateKey(key);
        reply = withDeadline(reads.submit(new Query.Get(k), k, k.length));
      } catch (KvException e) {
        reply = CompletableFuture.failedFuture(e);
      }
    }
    return reply.thenApply(r -> Optional.ofNullable(expect(r, Reply.Found.class).entry()));
  }

  /**
   * Linearizable read of the key's record (tombstones included) even if the group no longer owns it: the migration's
   * fallback read on the group a key is moving away from.
   */
  public CompletableFuture<Optional<Entry>> fallbackGetAsync(String key) {
    return read(() -> new Query.FallbackGet(Keys.validateKey(key)), false)
        .thenApply(r -> Optional.ofNullable(expect(r, Reply.Found.class).entry()));
  }

  /**
   * Linearizable records of several keys (at most {@code Query.MAX_ITEMS}), in order; null where the group has no
   * record (tombstones included).
   */
  public CompletableFuture<List<Entry>> batchGetAsync(List<String> keys) {
    return read(() -> new Query.BatchGet(keys.stream().map(Keys::validateKey).toList()), false)
        .thenApply(r -> expect(r, Reply.FoundMany.class).entries());
  }

  /** One page of records (tombstones included) in {@code ranges} after {@code after} (null: from the start). */
  public CompletableFuture<Reply.ScanPage> scanAsync(HashRanges ranges, ScanCursor after, int limit) {
    return read(() -> new Query.Scan(ranges, after, limit), false).thenApply(r -> expect(r, Reply.ScanPage.class));
  }

  /** The leader's view of ownership, applied index and CDC outbox (linearizable). */
  public CompletableFuture<Reply.Status> statusAsync() {
    return read(Query.Status::new, false).thenApply(r -> expect(r, Reply.Status.class));
  }

  // ---- blocking forms ----

  public Reply.Written put(String key, byte[] value) {
    return join(putAsync(key, value));
  }

  public Reply.Written put(String key, byte[] value, long expectedVersion) {
    return join(putAsync(key, value, expectedVersion));
  }

  public Reply.Written delete(String key) {
    return join(deleteAsync(key));
  }

  public Reply.Written delete(String key, long expectedVersion) {
    return join(deleteAsync(key, expectedVersion));
  }

  public Map<String, Long> batchPut(Map<String, byte[]> values) {
    return join(batchPutAsync(values));
  }

  public Reply.SnapshotPublished publishSnapshot() {
    return join(publishSnapshotAsync());
  }

  public Optional<Entry> get(String key) {
    return join(getAsync(key));
  }

  public Optional<Entry> get(String key, boolean stale) {
    return join(getAsync(key, stale));
  }

  public List<Entry> batchGet(List<String> keys) {
    return join(batchGetAsync(keys));
  }

  public Reply.ScanPage scan(HashRanges ranges, ScanCursor after, int limit) {
    return join(scanAsync(ranges, after, limit));
  }

  public Reply.Status status() {
    return join(statusAsync());
  }

  /** The id of the replica that says it leads the group now, asking each replica in turn; empty if none does. */
  public Optional<String> findLeader() {
    try (RaftClient probe = newRaftClient(Duration.ofSeconds(1), RetryPolicies.noRetry())) {
      for (RaftPeer peer : raftGroup.getPeers()) {
        try {
          GroupInfoReply info = probe.getGroupManagementApi(peer.getId()).info(raftGroup.getGroupId());
          if (info.isSuccess() && info.getRoleInfoProto().getRole() == RaftPeerRole.LEADER) {
            return Optional.of(peer.getId().toString());
          }
        } catch (IOException e) {
          // This replica is down or does not host the group; another one may still answer.
          continue;
        }
      }
      return Optional.empty();
    } catch (IOException e) {
      throw new KvException(ErrorCode.UNAVAILABLE, "cannot close the leader probe of group " + group, e);
    }
  }

  /** Unwraps a future's failure into the {@link KvException} it carries. */
  public static <T> T join(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof KvException kv ? kv : new KvException(ErrorCode.INTERNAL, e.toString(), e);
    }
  }

  // ---- plumbing ----

  private interface RequestSupplier {
    Request get();
  }

  private CompletableFuture<Reply> submit(RequestSupplier request) {
    Request r;
    try {
      r = request.get();
    } catch (KvException e) {
      return CompletableFuture.failedFuture(e); // invalid input never reaches the network
    }
    return withDeadline(send(r));
  }

  /** A single-key put or delete, through group commit. */
  private CompletableFuture<Reply.Written> write(RequestSupplier request) {
    Command op;
    try {
      op = (Command) request.get();
    } catch (KvException e) {
      return CompletableFuture.failedFuture(e);
    }
    byte[] key = op instanceof Command.Put p ? p.key() : ((Command.Delete) op).key();
    int bytes = key.length + (op instanceof Command.Put p ? p.value().length : 0);
    return withDeadline(writes.submit(op, key, bytes)).thenApply(r -> expect(r, Reply.Written.class));
  }

  /** One write request to the leader (Ratis finds it and retries), decoded. */
  private CompletableFuture<Reply> send(Request request) {
    RaftClient c = raft.get();
    return translate(raft, c, c.async().send(toMessage(request)));
  }

  /** What group commit has sent so far (for benchmarks: operations per request). */
  public GroupCommit.Stats groupCommitStats() {
    return new GroupCommit.Stats(writes.requestsSent(), writes.operationsSent(), reads.requestsSent(),
        reads.operationsSent());
  }

  private CompletableFuture<Reply> read(RequestSupplier request, boolean stale) {
    Message message;
    try {
      message = toMessage(request.get());
    } catch (KvException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (!stale) {
      return withDeadline(linearizableRead(message, System.nanoTime() + operationTimeout.toNanos()));
    }
    List<RaftPeer> peers = raftGroup.getPeers().stream().toList();
    int start = Math.floorMod(staleCursor.getAndIncrement(), peers.size());
    return withDeadline(staleRead(message, peers, start, 0));
  }

  /**
   * The operation timeout is a promise to the caller: Ratis's own retries (attempts × RPC timeout) could otherwise run
   * far past it. The request may still complete on the server; the caller learns the outcome is unknown (TIMEOUT).
   */
  private <T> CompletableFuture<T> withDeadline(CompletableFuture<T> operation) {
    return operation.orTimeout(operationTimeout.toMillis(), TimeUnit.MILLISECONDS).handle((value, error) -> {
      if (error == null) {
        return value;
      }
      Throwable cause = error instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : error;
      if (cause instanceof TimeoutException) {
        throw new KvException(ErrorCode.TIMEOUT,
            "group " + group + " gave no answer within " + operationTimeout.toMillis() + " ms");
      }
      throw error instanceof CompletionException ce ? ce : new CompletionException(error);
    });
  }

  /**
   * Reads are idempotent, so a retriable failure Ratis does not retry itself (e.g. a follower that cannot get a read
   * index from a leader elected a moment ago) is retried here until the operation deadline.
   */
  private CompletableFuture<Reply> linearizableRead(Message message, long deadlineNanos) {
    RaftClient c = raft.get();
    return translate(raft, c, c.async().sendReadOnlyUnordered(message))
        .handle((reply, error) -> {
          if (error == null) {
            return CompletableFuture.completedFuture(reply);
          }
          KvException kv = RaftErrors.toKvException(error, group);
          if (replicaTrouble(kv) && System.nanoTime() + RETRY_SLEEP.toLong(TimeUnit.NANOSECONDS) < deadlineNanos) {
            return CompletableFuture.supplyAsync(() -> null,
                    CompletableFuture.delayedExecutor(RETRY_SLEEP.toLong(TimeUnit.MILLISECONDS), TimeUnit.MILLISECONDS))
                .thenCompose(ignored -> linearizableRead(message, deadlineNanos));
          }
          return CompletableFuture.<Reply>failedFuture(kv);
        })
        .thenCompose(Function.identity());
  }

  /** Tries replicas one after another, so one replica being down costs one short retry budget, not the read. */
  private CompletableFuture<Reply> staleRead(Message message, List<RaftPeer> peers, int start, int tried) {
    RaftPeerId target = peers.get((start + tried) % peers.size()).getId();
    RaftClient c = staleRaft.get();
    return translate(staleRaft, c, c.async().sendStaleRead(message, 0, target))
        .handle((reply, error) -> {
          if (error == null) {
            return CompletableFuture.completedFuture(reply);
          }
          KvException kv = RaftErrors.toKvException(error, group);
          if (replicaTrouble(kv) && tried + 1 < peers.size()) {
            return staleRead(message, peers, start, tried + 1);
          }
          return CompletableFuture.<Reply>failedFuture(kv);
        })
        .thenCompose(Function.identity());
  }

  /**
   * Failures another attempt (later, or on another replica) may cure. Not WRONG_GROUP, though it is retriable for
   * the caller: it is the group's answer, and only the caller can act on it (reload its ring), so retrying it here
   * would hold a stale router's read until the deadline.
   */
  private static boolean replicaTrouble(KvException kv) {
    return kv.code() == ErrorCode.NO_LEADER || kv.code() == ErrorCode.UNAVAILABLE || kv.code() == ErrorCode.TIMEOUT;
  }

  private static Message toMessage(Request r) {
    return Message.valueOf(UnsafeByteOperations.unsafeWrap(WireCodec.encode(r)));
  }

  private CompletableFuture<Reply> translate(RaftClientSlot slot, RaftClient used,
                                             CompletableFuture<RaftClientReply> future) {
    return future.handleAsync((reply, error) -> {
      if (error != null) {
        slot.onFailure(used, error);
        throw RaftErrors.toKvException(error, group);
      }
      if (!reply.isSuccess()) {
        throw RaftErrors.toKvException(reply.getException(), group);
      }
      Reply decoded = WireCodec.decodeReply(reply.getMessage().getContent().asReadOnlyByteBuffer());
      if (decoded instanceof Reply.Failure f) {
        throw f.toException();
      }
      return decoded;
    }, callbacks);
  }

  private static <T extends Reply> T expect(Reply r, Class<T> type) {
    if (type.isInstance(r)) {
      return type.cast(r);
    }
    throw new KvException(ErrorCode.INTERNAL, "expected " + type.getSimpleName() + " but the group answered " + r);
  }

  @Override
  public void close() {
    raft.close();
    staleRaft.close();
    callbacks.shutdown();
  }
}
