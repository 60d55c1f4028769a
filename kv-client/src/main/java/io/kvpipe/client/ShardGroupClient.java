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
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.ratis.protocol.RaftPeer;

/**
 * Client of one shard group (its replicas' gRPC addresses). Writes go to the leader through Ratis, which finds it,
 * follows leader changes and retries; reads are linearizable unless {@code stale} is asked for, in which case any
 * replica answers from its applied state. Every method has an async form (many may be in flight; they are pipelined
 * over one connection per replica) and a blocking one. Concurrent single-key writes share log entries and concurrent
 * linearizable gets share read rounds ({@link GroupCommit}), each keeping its own outcome. Failures are
 * {@link KvException}s (async: the future's cause). Thread-safe; the Ratis plumbing is {@link GroupTransport}.
 *
 * <p>A single-key operation or transaction started while the calling thread's MDC holds a {@code request_id} carries
 * that id to the group, whose log lines about it then name it (see {@link CurrentRequest}).
 */
public final class ShardGroupClient implements AutoCloseable {
  private final String group;
  private final GroupTransport transport;
  private final OperationDeadline deadlines;
  /** Group commit: concurrent puts and deletes share a log entry; concurrent linearizable gets share a read round. */
  private final Coalescer writes;
  private final Coalescer reads;

  private ShardGroupClient(String group, List<PeerAddress> peers, RaftTls tls, Duration operationTimeout,
                           Duration rpcTimeout, GroupCommit groupCommit) {
    this.group = GroupIds.checkName(group);
    this.deadlines = new OperationDeadline(this.group, operationTimeout);
    this.transport = new GroupTransport(group, peers, tls, operationTimeout, rpcTimeout);
    this.writes = new Coalescer(group, groupCommit, true, ops -> new Command.Batch(ops.stream()
        .map(Command.class::cast).toList()), transport::write, operationTimeout);
    this.reads = new Coalescer(group, groupCommit, false, qs -> new Query.Batch(qs.stream()
        .map(Query.class::cast).toList()),
        q -> transport.linearizableRead(q, System.nanoTime() + operationTimeout.toNanos()), operationTimeout);
  }

  /** A client with default timeouts (10 s per operation including retries across leader changes). */
  public static ShardGroupClient connect(String group, List<PeerAddress> peers) {
    return builder(group, peers).build();
  }

  /** A client with default timeouts talking {@code tls} to the replicas. */
  public static ShardGroupClient connect(String group, List<PeerAddress> peers, RaftTls tls) {
    return builder(group, peers).tls(tls).build();
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
    private RaftTls tls = RaftTls.PLAINTEXT;

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

    /** How to talk to the group's replicas: the cluster's mutual TLS, or plaintext (the default). */
    public Builder tls(RaftTls t) {
      this.tls = java.util.Objects.requireNonNull(t, "tls");
      return this;
    }

    public ShardGroupClient build() {
      RetryWindow.check(operationTimeout, rpcTimeout);
      return new ShardGroupClient(group, peers, tls, operationTimeout, rpcTimeout, groupCommit);
    }
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
    return write(() -> new Command.Put(Keys.validateKey(key), value, expectedVersion, io.kvpipe.common.Ttl.NONE,
        CurrentRequest.id()));
  }

  /**
   * Conditional put with a time to live ({@code ttlMs} > 0, counted from the leader's stamp; {@code Ttl.NONE}: none,
   * which also clears a TTL the key had). See docs/ttl.md.
   */
  public CompletableFuture<Reply.Written> putAsync(String key, byte[] value, long expectedVersion, long ttlMs) {
    return write(() -> new Command.Put(Keys.validateKey(key), value, expectedVersion,
        io.kvpipe.common.Ttl.check(ttlMs, "ttl"), CurrentRequest.id()));
  }

  /**
   * Gives a live key a new TTL ({@code ttlMs} > 0) or removes its TTL ({@code Ttl.NONE}: PERSIST), keeping its value;
   * the key gets a new version. NOT_FOUND when it has no live value, VERSION_MISMATCH when {@code expectedVersion}
   * ({@link Request#ANY_VERSION}: any) differs. See {@link Command.SetTtl}.
   */
  public CompletableFuture<Reply.Written> setTtlAsync(String key, long ttlMs, long expectedVersion) {
    return submit(() -> new Command.SetTtl(Keys.validateKey(key), io.kvpipe.common.Ttl.check(ttlMs, "ttl"),
        expectedVersion, CurrentRequest.id())).thenApply(r -> expect(r, Reply.Written.class));
  }

  /** Deletes (leaves a tombstone with a version, even when the key had no value). */
  public CompletableFuture<Reply.Written> deleteAsync(String key) {
    return deleteAsync(key, Request.ANY_VERSION);
  }

  public CompletableFuture<Reply.Written> deleteAsync(String key, long expectedVersion) {
    return write(() -> new Command.Delete(Keys.validateKey(key), expectedVersion, CurrentRequest.id()));
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

  /**
   * A transaction within this group, as one log entry, all or nothing (see {@link Command.Txn}): completes with
   * whether its compares held and the results of the branch that ran. Not group-committed: it is its own entry, so
   * its events share a transaction id no other write has. Fails (WRONG_GROUP, nothing applied) if the group does not
   * own every key.
   */
  public CompletableFuture<Reply.Txn> txnAsync(Command.Txn txn) {
    String id = txn.requestId() == null ? CurrentRequest.id() : null;
    Command.Txn sent = id == null ? txn : txn.withRequestId(id);
    return submit(() -> sent).thenApply(r -> expect(r, Reply.Txn.class));
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

  /**
   * Opens a backup export: the group's live owned records as of the reply's log index, set aside on every replica
   * for {@link #exportPageAsync} to read while writes go on (see {@link Command.OpenExport}).
   */
  public CompletableFuture<Reply.ExportOpened> openExportAsync(String exportId) {
    return submit(() -> new Command.OpenExport(exportId)).thenApply(r -> expect(r, Reply.ExportOpened.class));
  }

  /** Drops an export on every replica. */
  public CompletableFuture<Reply.Purged> closeExportAsync(String exportId) {
    return submit(() -> new Command.CloseExport(exportId)).thenApply(r -> expect(r, Reply.Purged.class));
  }

  /** Records {@code offset..} of an open export (linearizable, so any leader that applied the open answers). */
  public CompletableFuture<Reply.KeyPage> exportPageAsync(String exportId, long offset, int limit, int maxBytes) {
    return read(() -> new Query.ExportPage(exportId, offset, limit, maxBytes), false)
        .thenApply(r -> expect(r, Reply.KeyPage.class));
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
    return setPeersAsync(peers, deadlines.operationTimeout());
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
        new PeerChange(group, transport.raftGroup(), transport.tls(), target, System.nanoTime() + timeout.toNanos()).run();
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
      reply = read(() -> new Query.Get(Keys.validateKey(key), CurrentRequest.id()), true);
    } else {
      try {
        byte[] k = Keys.validateKey(key);
        reply = deadlines.bound(reads.submit(new Query.Get(k, CurrentRequest.id()), k, k.length, deadlines.startingNow()));
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
    return read(() -> new Query.FallbackGet(Keys.validateKey(key), CurrentRequest.id()), false)
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

  /**
   * One linearizable page of records (tombstones included) with keys in [{@code start}, {@code end}) in key order,
   * and the group's ownership as it was when the page was read (see {@link Query.KeyScan}).
   */
  public CompletableFuture<Reply.KeyPage> keyScanAsync(byte[] start, byte[] end, int limit, boolean values,
                                                       int maxBytes) {
    return read(() -> new Query.KeyScan(start, end, limit, values, maxBytes), false)
        .thenApply(r -> expect(r, Reply.KeyPage.class));
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
    return transport.findLeader();
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
    return deadlines.bound(transport.write(r));
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
    return deadlines.bound(writes.submit(op, key, bytes, deadlines.startingNow())).thenApply(r -> expect(r, Reply.Written.class));
  }

  /** What group commit has sent so far (for benchmarks: operations per request). */
  public GroupCommit.Stats groupCommitStats() {
    return new GroupCommit.Stats(writes.requestsSent(), writes.operationsSent(), reads.requestsSent(),
        reads.operationsSent());
  }

  private CompletableFuture<Reply> read(RequestSupplier request, boolean stale) {
    Request r;
    try {
      r = request.get();
    } catch (KvException e) {
      return CompletableFuture.failedFuture(e);
    }
    return deadlines.bound(stale ? transport.staleRead(r) : transport.linearizableRead(r, deadlines.startingNow()));
  }

  private static <T extends Reply> T expect(Reply r, Class<T> type) {
    if (type.isInstance(r)) {
      return type.cast(r);
    }
    throw new KvException(ErrorCode.INTERNAL, "expected " + type.getSimpleName() + " but the group answered " + r);
  }

  @Override
  public void close() {
    transport.close();
  }
}
