package io.kvpipe.proxy.kv;

import io.kvpipe.client.CallerDeadline;
import io.kvpipe.client.RaftErrors;
import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.MigrationToken;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.proxy.topology.TopologyView;
import io.kvpipe.proxy.topology.TopologySource;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * How a key whose range is moving (a migration in flight whose ring is the current one) is read and conditionally
 * written so that both see its newest version wherever it lives. The old owner is fenced: its record of the key is
 * final. The new owner is the only place the key can be written.
 *
 * <ul>
 *   <li>Reads: forward, everything the new owner holds in the moving ranges was written there after the fence or
 *       copied, so its record, when it has one, is the newest (see {@link KvRouter#read}). During a cancel's inverse
 *       the new owner is the group the key first left, still holding its record from before the migration, so a
 *       read takes the newer of both owners' records ({@link #newer}).</li>
 *   <li>Conditional writes (If-Match, If-None-Match), in both directions: before comparing, the old owner's record is
 *       copied onto the new owner (a MigrateIn, applied only if newer than what the new owner has), so the
 *       compare-and-set runs against the newest version. An unconditional write needs nothing: it is newer than any
 *       record of either owner.</li>
 * </ul>
 */
final class MovingKeys {
  private final TopologySource watcher;
  private final GroupClients groups;

  MovingKeys(TopologySource watcher, GroupClients groups) {
    this.watcher = watcher;
    this.groups = groups;
  }

  /** The record with the higher version (a tombstone included); empty if neither owner has one. */
  static Optional<Entry> newer(Optional<Entry> a, Optional<Entry> b) {
    if (a.isEmpty()) {
      return b;
    }
    return b.isPresent() && b.get().version() > a.get().version() ? b : a;
  }

  /**
   * {@code write} run on the new owner after the old owner's record of {@code key} was copied onto it. A refused copy
   * (the migration moved on since this proxy's topology) fails as WRONG_GROUP, which the router answers by reloading
   * the topology and running the whole thing again. Called inside the request's {@link CallerDeadline} scope, with
   * that deadline as {@code deadlineNanos}: see {@link #thenBefore} for the write that starts after the copy.
   */
  <T> Function<ShardGroupClient, CompletableFuture<T>> newestFirst(byte[] key, long deadlineNanos,
                                                                 Function<ShardGroupClient, CompletableFuture<T>> write) {
    return owner -> thenBefore(bringOver(owner, key), deadlineNanos, owner, write);
  }

  /**
   * As {@link #newestFirst(byte[], long, Function)} for every key of a transaction (compared, read or written), one
   * after the other, before the transaction is sent: it then compares, reads and writes the newest records, all on the
   * new owner, in its one log entry. Copies change no key's logical state, so a failure between them leaves nothing
   * half done.
   */
  <T> Function<ShardGroupClient, CompletableFuture<T>> newestFirst(List<byte[]> keys, long deadlineNanos,
                                                                 Function<ShardGroupClient, CompletableFuture<T>> write) {
    return owner -> {
      CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
      java.util.Set<java.nio.ByteBuffer> seen = new java.util.HashSet<>();
      for (byte[] key : keys) {
        if (seen.add(java.nio.ByteBuffer.wrap(key))) {
          chain = thenBefore(chain, deadlineNanos, owner, o -> bringOver(o, key));
        }
      }
      return thenBefore(chain, deadlineNanos, owner, write);
    };
  }

  /**
   * {@code next} on {@code owner} once {@code copied} succeeded, started only before {@code deadlineNanos} and inside a
   * {@link CallerDeadline} scope of it. Why: a copy that completes later does so on a reply thread, outside the
   * request's scope, where a group call takes a fresh full timeout of its own; a write started there after the
   * request's deadline (its caller already told 504, and maybe already re-reading and re-writing the key) would be sent
   * anyway, up to a whole timeout later (A, B, A). Past the deadline it fails with TIMEOUT, the outcome the request's
   * timer gave. A copy done already leaves {@code next} on the calling thread, still inside the request's scope.
   */
  static <T> CompletableFuture<T> thenBefore(CompletableFuture<?> copied, long deadlineNanos, ShardGroupClient owner,
                                             Function<ShardGroupClient, CompletableFuture<T>> next) {
    if (copied.isDone()) {
      return copied.thenCompose(ignored -> next.apply(owner)); // every write when no migration is moving its key
    }
    return copied.thenCompose(ignored -> deadlineNanos - System.nanoTime() > 0
        ? CallerDeadline.within(deadlineNanos, () -> next.apply(owner))
        : CompletableFuture.failedFuture(new KvException(ErrorCode.TIMEOUT,
            "the request's deadline passed while a moving key's record was copied: nothing more was sent")));
  }

  /** Copies the old owner's record of {@code key}, if a migration is moving it and the old owner has one. */
  private CompletableFuture<Void> bringOver(ShardGroupClient owner, byte[] key) {
    TopologyView v = watcher.current();
    String old = v.isReady() ? v.fallbackGroupFor(key) : null;
    MigrationToken token = v.migrationToken();
    if (old == null || token == null) {
      return CompletableFuture.completedFuture(null);
    }
    ShardGroupClient from = groups.get(old);
    if (from == null) {
      return CompletableFuture.failedFuture(new KvException(ErrorCode.WRONG_GROUP, "no client for group " + old
          + " yet"));
    }
    String k = new String(key, StandardCharsets.UTF_8);
    // A failure before the write is sent proves it was not applied: an old owner that just left the topology (a
    // drain's last step) is "route again", never the unknown outcome a write that reached a removed group gets.
    return from.fallbackGetAsync(k)
        .exceptionallyCompose(e -> CompletableFuture.<Optional<Entry>>failedFuture(oldOwnerGone(e, old)))
        .thenCompose(found -> found.isEmpty() ? CompletableFuture.<Void>completedFuture(null)
            : owner.migrateInAsync(List.of(found.get()), token)
                .exceptionallyCompose(e -> CompletableFuture.<Reply.Migrated>failedFuture(refenced(e, token)))
                .thenApply(copied -> (Void) null));
  }

  private static Throwable oldOwnerGone(Throwable e, String old) {
    Throwable t = RaftErrors.unwrap(e);
    if (t instanceof KvException kv && kv.code() == ErrorCode.UNKNOWN_GROUP) {
      return new KvException(ErrorCode.WRONG_GROUP, "the old owner " + old + " left the topology: " + kv.getMessage());
    }
    return t;
  }

  private static Throwable refenced(Throwable e, MigrationToken token) {
    Throwable t = RaftErrors.unwrap(e);
    if (t instanceof KvException kv && kv.code() == ErrorCode.CONFLICT) {
      return new KvException(ErrorCode.WRONG_GROUP, "migration " + token + " moved on: " + kv.getMessage());
    }
    return t;
  }
}
