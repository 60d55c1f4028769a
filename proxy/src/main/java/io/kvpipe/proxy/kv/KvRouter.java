package io.kvpipe.proxy.kv;

import io.kvpipe.client.CallerDeadline;
import io.kvpipe.client.DeadlineTimer;
import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.error.OutcomeUnknownException;
import io.kvpipe.proxy.ProxyMetrics;
import io.kvpipe.proxy.http.RequestIds;
import io.kvpipe.client.RaftErrors;
import io.kvpipe.proxy.topology.TopologyView;
import io.kvpipe.proxy.topology.TopologySource;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Reply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Routes one key's operation to the group that owns it on the current ring and retries transparently: a WRONG_GROUP
 * reply (the group no longer owns the key at its epoch) reloads the topology and routes again while the request's
 * deadline allows (during a migration's fencing the ring may lag the groups' fences for a moment); NO_LEADER /
 * UNAVAILABLE (a leader change) are retried with a short backoff while the deadline allows, for reads only (see
 * {@link #write}). Reads during a migration follow the fallback rule (see {@link #read}). Stateless apart from its
 * collaborators.
 */
public final class KvRouter {
  private static final long BACKOFF_MS = 50;
  private static final long MAX_WRONG_GROUP_BACKOFF_MS = 200;

  private final TopologySource watcher;
  private final GroupClients groups;
  private final ProxyMetrics metrics;
  private final Duration requestTimeout;
  /**
   * Retries run here, never on the thread that reported the failure: that may be a DeadlineTimer expiry thread, and a
   * Ratis client whose request window is full blocks the caller until a slot frees up.
   */
  private final Executor retries = Executors.newVirtualThreadPerTaskExecutor();
  private final MovingKeys moving;

  public KvRouter(TopologySource watcher, GroupClients groups, ProxyMetrics metrics, Duration requestTimeout) {
    this.watcher = watcher;
    this.groups = groups;
    this.moving = new MovingKeys(watcher, groups);
    this.metrics = metrics;
    this.requestTimeout = requestTimeout;
  }

  /** The group that owns {@code key} on the current ring. */
  public String groupFor(byte[] key) {
    TopologyView v = watcher.current();
    if (!v.isReady()) {
      throw new KvException(ErrorCode.UNAVAILABLE, "no topology loaded yet");
    }
    return v.groupFor(key);
  }

  /**
   * Runs the write {@code op} against the owner of {@code key}. It is routed again only after a refusal that proves it
   * was not applied (WRONG_GROUP); after an ambiguous failure (NO_LEADER once Ratis's own retries ran out,
   * UNAVAILABLE, TIMEOUT, a group that left the topology while the write was in flight) the caller gets the failure: a
   * new request could apply the write a second time (readers would see A, B, A, and the changelog two events for one
   * request). Ratis already resends to a new leader within the deadline with the same call id, which the replicas'
   * retry cache deduplicates for as long as any client may resend ({@link io.kvpipe.client.RetryWindow}). Such a
   * failure is an {@link OutcomeUnknownException} (a TIMEOUT always; the others as the group client typed them), so
   * the caller is told not to resend blindly.
   */
  public <T> CompletableFuture<T> write(byte[] key, Function<ShardGroupClient, CompletableFuture<T>> op,
                                       long startNanos) {
    long deadline = startNanos + requestTimeout.toNanos();
    // Every write to a key a migration is moving first brings its record over from the old owner (MovingKeys): a
    // conditional write compares with the newest version, and a plain one answers created/existed, and gets its change
    // event's op and before, from it too (robustness finding 1: a plain put over a live value answered "created").
    // Bound to the request's id (inner and outer): MovingKeys may run the write later, and retries run elsewhere.
    return attempt(v -> v.groupFor(key), false,
        RequestIds.bind(moving.newestFirst(key, deadline, RequestIds.bind(op))), deadline, 0, 0);
  }

  /**
   * Runs {@code op}, a transaction over {@code keys}, against the one group that owns them all, under the rules of
   * {@link #write}: routed again only after WRONG_GROUP (the group refused the whole transaction, so nothing was
   * applied); every key a migration is moving is first brought over from its old owner. Keys of more than one group
   * fail with CROSS_GROUP, naming the groups, before anything is sent.
   */
  public <T> CompletableFuture<T> writeWithinGroup(List<byte[]> keys,
                                                   Function<ShardGroupClient, CompletableFuture<T>> op,
                                                   long startNanos) {
    long deadline = startNanos + requestTimeout.toNanos();
    return attempt(v -> OneGroup.of(v, keys), false,
        RequestIds.bind(moving.newestFirst(keys, deadline, RequestIds.bind(op))), deadline, 0, 0);
  }

  /**
   * Reads {@code key}'s live value. During a migration whose ring switch has happened, a key that moved is read from
   * its new owner, and only if that has no record at all (not even a tombstone: a delete there must hide the old
   * value) from its old owner with a fallback get, which skips the old owner's ownership check. If the old owner has
   * no record either, the new owner is read once more: the copy and the purge may both have finished between the two
   * reads, moving the key out of sight of each. Writes never fall back: they always go to the new owner. During a
   * cancel's inverse the new owner may hold an older record than the old one: both are read, the newer wins.
   */
  public CompletableFuture<Optional<Entry>> read(byte[] key, boolean stale, long startNanos) {
    long deadline = startNanos + requestTimeout.toNanos();
    String k = new String(key, StandardCharsets.UTF_8);
    TopologyView now = watcher.current();
    if (now.isReady() && now.oldRecordsOnNewOwner() && now.fallbackGroupFor(key) != null) {
      return newestOfBoth(key, stale, deadline);
    }
    // Bound now: the fallback reads below start on whatever thread completed the first one.
    Function<ShardGroupClient, CompletableFuture<Optional<Entry>>> record = RequestIds.bind(
        c -> c.readRecordAsync(k, stale));
    Function<ShardGroupClient, CompletableFuture<Optional<Entry>>> fallbackGet = RequestIds.bind(
        c -> c.fallbackGetAsync(k));
    return this.<Optional<Entry>>attempt(v -> v.groupFor(key), true, record, deadline, 0, 0)
        .thenCompose(found -> {
          if (found.isPresent()) {
            return CompletableFuture.completedFuture(found.filter(e -> !e.deleted()));
          }
          TopologyView v = watcher.current();
          String previous = v.isReady() ? v.fallbackGroupFor(key) : null;
          if (previous == null) {
            return CompletableFuture.completedFuture(Optional.<Entry>empty());
          }
          metrics.retry("fallback_read");
          // Routed again on every retry: once the old owner left the topology (drained and removed) the new owner,
          // which by then holds everything, answers the fallback get instead of a group that is gone.
          Function<TopologyView, String> fallback = x -> Optional.ofNullable(x.fallbackGroupFor(key))
              .orElseGet(() -> x.groupFor(key));
          return this.<Optional<Entry>>attempt(fallback, true, fallbackGet, deadline, 0, 0)
              .thenCompose(old -> old.isPresent()
                  ? CompletableFuture.completedFuture(old)
                  : this.<Optional<Entry>>attempt(x -> x.groupFor(key), true, record, deadline, 0, 0))
              .thenApply(KvRouter::visible);
        });
  }

  /**
   * Puts {@code value} with a time to live ({@code ttlMs} > 0) or none ({@code Ttl.NONE}, which clears a TTL the key
   * had); {@code expected} as for any put ({@code Request.ANY_VERSION}: unconditional). For the Redis SET EX/PX.
   */
  public CompletableFuture<Reply.Written> putWithTtl(byte[] key, byte[] value, long expected, long ttlMs,
                                                     long startNanos) {
    String k = new String(key, StandardCharsets.UTF_8);
    return write(key, c -> c.putAsync(k, value, expected, ttlMs), startNanos);
  }

  /**
   * Gives a live key a new TTL, or removes it with {@code Ttl.NONE} (Redis EXPIRE / PERSIST), keeping its value; the
   * key gets a new version. NOT_FOUND when the key has no live value.
   */
  public CompletableFuture<Reply.Written> setTtl(byte[] key, long ttlMs, long expected, long startNanos) {
    String k = new String(key, StandardCharsets.UTF_8);
    return write(key, c -> c.setTtlAsync(k, ttlMs, expected), startNanos);
  }

  /** The key's remaining TTL (Redis TTL / PTTL), from a read like {@link #read}'s. */
  public CompletableFuture<KeyTtl> remainingTtl(byte[] key, boolean stale, long startNanos) {
    return read(key, stale, startNanos).thenApply(found -> KeyTtl.of(found, System.currentTimeMillis()));
  }

  /**
   * A record read with a fallback get is as stored, deadline included (the new owner must expire it too), so whether
   * it is past that deadline is judged here, by this proxy's clock.
   */
  private static Optional<Entry> visible(Optional<Entry> record) {
    long now = System.currentTimeMillis();
    return record.filter(e -> !e.deleted() && !e.expiredAt(now));
  }

  /** During a cancel's inverse: both owners' records of a moving key, the newer one wins (see {@link MovingKeys}). */
  private CompletableFuture<Optional<Entry>> newestOfBoth(byte[] key, boolean stale, long deadline) {
    String k = new String(key, StandardCharsets.UTF_8);
    CompletableFuture<Optional<Entry>> owner = attempt(x -> x.groupFor(key), true,
        RequestIds.bind(c -> c.readRecordAsync(k, stale)), deadline, 0, 0);
    CompletableFuture<Optional<Entry>> old = attempt(x -> Optional.ofNullable(x.fallbackGroupFor(key))
        .orElseGet(() -> x.groupFor(key)), true, RequestIds.bind(c -> c.fallbackGetAsync(k)), deadline, 0, 0);
    metrics.retry("fallback_read");
    return owner.thenCombine(old, MovingKeys::newer).thenApply(KvRouter::visible);
  }

  /** {@code repeatable}: the operation is a read, so repeating it after an ambiguous failure is harmless. */
  private <T> CompletableFuture<T> attempt(Function<TopologyView, String> route, boolean repeatable,
                                           Function<ShardGroupClient, CompletableFuture<T>> op, long deadline,
                                           int wrongGroupRetries, int otherRetries) {
    long remaining = deadline - System.nanoTime();
    if (remaining <= 0) {
      // Before this attempt of a write every earlier one was refused (WRONG_GROUP), but it is answered as every
      // write's TIMEOUT is (unknown): one rule a caller can rely on without knowing when the deadline passed.
      return CompletableFuture.failedFuture(timedOut(repeatable));
    }
    CompletableFuture<T> call;
    String group = null;
    try {
      TopologyView v = watcher.current();
      if (!v.isReady()) {
        throw new KvException(ErrorCode.UNAVAILABLE, "no topology loaded yet");
      }
      group = route.apply(v);
      ShardGroupClient client = groups.get(group);
      if (client == null) {
        throw new KvException(ErrorCode.WRONG_GROUP, "no client for group " + group + " yet");
      }
      // The request's one deadline and its one timer: the group client arms none of its own for this call.
      call = DeadlineTimer.orTimeout(CallerDeadline.within(deadline, () -> op.apply(client)), remaining,
          TimeUnit.NANOSECONDS);
    } catch (KvException e) {
      call = CompletableFuture.failedFuture(e);
    }
    String routedTo = group;
    return call.handle((value, err) -> {
      if (err == null) {
        groups.succeeded(routedTo);
        return CompletableFuture.completedFuture(value);
      }
      KvException kv = classify(err, repeatable);
      if (kv.code() == ErrorCode.TIMEOUT && routedTo != null) {
        groups.timedOut(routedTo);
      }
      long delay = wrongGroupRetries == 0 ? 0 : Math.min(MAX_WRONG_GROUP_BACKOFF_MS, BACKOFF_MS * wrongGroupRetries);
      if (kv.code() == ErrorCode.UNKNOWN_GROUP && !repeatable) {
        // Whatever attempt reached the removed group was refused, but Ratis may have sent an earlier one that was
        // applied before the group was drained: sending the write to the new owner could apply it twice.
        return CompletableFuture.<T>failedFuture(new OutcomeUnknownException(ErrorCode.UNAVAILABLE, "group " + routedTo
            + " left the topology while this write was in flight; whether it was applied is unknown: read the key"
            + " before writing it again"));
      }
      // WRONG_GROUP is the group's answer to this write (a resend gets the first attempt's reply from the retry cache,
      // see RetryWindow), so it was not applied; a read may also follow a group that was drained and removed. Not if
      // the group client found the outcome unknown all the same (e.g. the code came with a pipeline Ratis closed).
      boolean moved = (kv.code() == ErrorCode.WRONG_GROUP || kv.code() == ErrorCode.UNKNOWN_GROUP)
          && !(kv instanceof OutcomeUnknownException);
      if (moved && deadline - System.nanoTime() > TimeUnit.MILLISECONDS.toNanos(delay)) {
        metrics.retry(kv.code() == ErrorCode.WRONG_GROUP ? "wrong_group" : "unknown_group");
        // Reload, then route again; if the meta group has not caught up yet, the backoff gives it a moment.
        return watcher.refresh().exceptionally(t -> null)
            .thenComposeAsync(v -> delayed(delay), retries)
            .thenComposeAsync(v -> attempt(route, repeatable, op, deadline, wrongGroupRetries + 1, otherRetries),
                retries);
      }
      boolean leaderTrouble = kv.code() == ErrorCode.NO_LEADER || kv.code() == ErrorCode.UNAVAILABLE;
      if (leaderTrouble && repeatable && deadline - System.nanoTime() > TimeUnit.MILLISECONDS.toNanos(BACKOFF_MS)) {
        metrics.retry(kv.code() == ErrorCode.NO_LEADER ? "no_leader" : "unavailable");
        return delayed(Math.min(500, BACKOFF_MS << Math.min(otherRetries, 3)))
            .thenComposeAsync(v -> attempt(route, repeatable, op, deadline, wrongGroupRetries, otherRetries + 1),
                retries);
      }
      return CompletableFuture.<T>failedFuture(kv);
    }).thenCompose(Function.identity());
  }

  private CompletableFuture<Void> delayed(long millis) {
    if (millis <= 0) {
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.runAsync(() -> { },
        CompletableFuture.delayedExecutor(millis, TimeUnit.MILLISECONDS, retries));
  }

  /**
   * The failure as the caller gets it. A write's TIMEOUT, the router's own deadline or the group client's, is an
   * unknown outcome ({@link OutcomeUnknownException}): the write may have been logged just before the deadline passed,
   * and only the router knows this was a write. Every other failure keeps the type the group client gave it (it knows
   * whether Ratis resent the write).
   */
  private KvException classify(Throwable err, boolean repeatable) {
    Throwable e = RaftErrors.unwrap(err);
    if (e instanceof TimeoutException) {
      return timedOut(repeatable);
    }
    KvException kv = e instanceof KvException k ? k : RaftErrors.toKvException(e, "request");
    return kv.code() == ErrorCode.TIMEOUT && !repeatable ? OutcomeUnknownException.of(kv) : kv;
  }

  private KvException timedOut(boolean repeatable) {
    String message = "request did not complete within " + requestTimeout.toMillis() + " ms";
    return repeatable ? new KvException(ErrorCode.TIMEOUT, message)
        : new OutcomeUnknownException(ErrorCode.TIMEOUT, message + "; whether the write was applied is unknown: read"
            + " the key before writing it again");
  }
}
