package io.kvpipe.kvctl.backup;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Request;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Loads records into their target groups through the bulk-load path (PutAll: one log entry per batch, each key an
 * ordinary client write with a new version of the target cluster and its own change event), with a few batches in
 * flight per group. A batch refused for a passing reason (no leader yet, CDC backlog full while the publisher
 * drains, a timeout) is sent again until {@code retryFor} has passed; a repeated put of the same value leaves the
 * same data (with a later version and one more change event).
 *
 * <p>A record with a time to live is put on its own with the time its deadline still leaves by this machine's clock
 * (PutAll carries no TTL), so it keeps its deadline to within that clock's skew and the put's latency; one whose
 * deadline has passed is not restored (it would be expired on arrival), and is counted in {@link #expiredSkipped}.
 */
public final class RestoreLoader {
  private final Map<String, ShardGroupClient> clients;
  private final Function<byte[], String> route;
  private final int batchRecords;
  private final long batchBytes;
  private final Duration retryFor;
  private final Progress progress;
  private final Map<String, Batch> open = new LinkedHashMap<>();
  private final Map<String, Semaphore> inFlight = new LinkedHashMap<>();
  private final List<CompletableFuture<Void>> pending = new ArrayList<>();
  private volatile Throwable failure;
  private long expiredSkipped;

  private static final class Batch {
    final Map<String, byte[]> values = new LinkedHashMap<>();
    long bytes;
  }

  public RestoreLoader(Map<String, ShardGroupClient> clients, Function<byte[], String> route, int batchRecords,
                       long batchBytes, int perGroupInFlight, Duration retryFor, Progress progress) {
    this.clients = clients;
    this.route = route;
    this.batchRecords = batchRecords;
    this.batchBytes = batchBytes;
    this.retryFor = retryFor;
    this.progress = progress;
    clients.keySet().forEach(g -> inFlight.put(g, new Semaphore(perGroupInFlight)));
  }

  public void add(Entry e) {
    checkFailure();
    String group = route.apply(e.key());
    if (!clients.containsKey(group)) {
      throw new IllegalStateException("no client for group " + group);
    }
    if (e.hasTtl()) {
      long left = e.expiresAtMs() - System.currentTimeMillis();
      if (left <= 0) {
        expiredSkipped++;
        progress.add(1);
        return;
      }
      String key = new String(e.key(), StandardCharsets.UTF_8);
      send(group, 1, "1 key with a TTL", () -> clients.get(group).putAsync(key, e.value(), Request.ANY_VERSION,
          left));
      return;
    }
    Batch b = open.computeIfAbsent(group, g -> new Batch());
    long size = e.key().length + e.value().length;
    if (!b.values.isEmpty() && (b.values.size() >= batchRecords || b.bytes + size > batchBytes)) {
      send(group, b);
      b = new Batch();
      open.put(group, b);
    }
    b.values.put(new String(e.key(), StandardCharsets.UTF_8), e.value());
    b.bytes += size;
  }

  /** Records whose deadline had passed when they came to be restored (left out). */
  public long expiredSkipped() {
    return expiredSkipped;
  }

  /** Sends what is buffered and waits for every batch; throws the first failure. */
  public void finish() {
    open.forEach((g, b) -> {
      if (!b.values.isEmpty()) {
        send(g, b);
      }
    });
    open.clear();
    for (CompletableFuture<Void> f : pending) {
      try {
        f.join();
      } catch (CompletionException e) {
        // The first failure is kept in 'failure' and thrown below.
        if (failure == null) {
          failure = e.getCause();
        }
      }
    }
    checkFailure();
  }

  private void send(String group, Batch b) {
    send(group, b.values.size(), b.values.size() + " keys", () -> clients.get(group).putAllAsync(b.values));
  }

  private void send(String group, int keys, String what, Supplier<CompletableFuture<?>> op) {
    Semaphore s = inFlight.get(group);
    s.acquireUninterruptibly();
    long deadline = System.nanoTime() + retryFor.toNanos();
    CompletableFuture<Void> f = attempt(group, keys, what, op, deadline, 1).whenComplete((ok, e) -> {
      s.release();
      if (e != null && failure == null) {
        failure = e instanceof CompletionException c && c.getCause() != null ? c.getCause() : e;
      }
    });
    pending.add(f);
    pending.removeIf(CompletableFuture::isDone);
  }

  private CompletableFuture<Void> attempt(String group, int keys, String what, Supplier<CompletableFuture<?>> op,
                                          long deadline, int n) {
    return op.get().handle((written, e) -> {
      if (e == null) {
        progress.add(keys);
        return CompletableFuture.<Void>completedFuture(null);
      }
      Throwable cause = e instanceof CompletionException c && c.getCause() != null ? c.getCause() : e;
      if (cause instanceof KvException k && passing(k.code()) && System.nanoTime() < deadline) {
        // Backoff before the next try: the group needs time to elect a leader or drain its CDC outbox.
        return CompletableFuture.runAsync(() -> { },
                CompletableFuture.delayedExecutor(Math.min(1000, 50L * n), TimeUnit.MILLISECONDS))
            .thenCompose(x -> attempt(group, keys, what, op, deadline, n + 1));
      }
      return CompletableFuture.<Void>failedFuture(new KvException(cause instanceof KvException k ? k.code()
          : ErrorCode.INTERNAL, "loading " + what + " into group " + group + " failed: "
          + cause.getMessage(), cause));
    }).thenCompose(x -> x);
  }

  private static boolean passing(ErrorCode c) {
    return c == ErrorCode.NO_LEADER || c == ErrorCode.CDC_BACKLOG_FULL || c == ErrorCode.UNAVAILABLE
        || c == ErrorCode.TIMEOUT;
  }

  private void checkFailure() {
    Throwable f = failure;
    if (f instanceof RuntimeException r) {
      throw r;
    }
    if (f != null) {
      throw new IllegalStateException(f);
    }
  }
}
