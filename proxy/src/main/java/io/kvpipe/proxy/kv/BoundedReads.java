package io.kvpipe.proxy.kv;

import io.kvpipe.common.wire.Entry;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;

/**
 * Reads many keys with at most {@link #WINDOW} reads in flight, adding up the value bytes as replies arrive: once the
 * total passes the limit it fails with {@link OverLimit} and starts no further read, so a batch asking for more than
 * the limit holds at most the limit plus one window of values, never all of them.
 */
public final class BoundedReads {
  /** Reads in flight per batch: enough to fill group commit and read batching, few enough to stop early. */
  static final int WINDOW = 64;

  /** The values read add up to more than {@code limit} bytes. */
  public static final class OverLimit extends RuntimeException {
    private final long limit;

    OverLimit(long limit) {
      super("over " + limit + " bytes", null, false, false);
      this.limit = limit;
    }

    public long limit() {
      return limit;
    }
  }

  private BoundedReads() {}

  /** The results in the order of {@code keys}; fails with the first read's failure, or {@link OverLimit}. */
  public static CompletableFuture<List<Optional<Entry>>> run(List<byte[]> keys,
      Function<byte[], CompletableFuture<Optional<Entry>>> unbound, long limit) {
    // Later reads start on the threads that completed earlier ones: each carries the caller's request id.
    Function<byte[], CompletableFuture<Optional<Entry>>> read = io.kvpipe.proxy.http.RequestIds.bind(unbound);
    int n = keys.size();
    AtomicReferenceArray<Optional<Entry>> results = new AtomicReferenceArray<>(n);
    CompletableFuture<List<Optional<Entry>>> done = new CompletableFuture<>();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    AtomicLong bytes = new AtomicLong();
    Runnable[] lane = new Runnable[1];
    lane[0] = () -> {
      int i = next.getAndIncrement();
      if (i >= n || done.isDone()) {
        return;
      }
      read.apply(keys.get(i)).whenComplete((found, err) -> {
        if (done.isDone()) {
          return;
        }
        if (err != null) {
          done.completeExceptionally(err);
          return;
        }
        long total = bytes.addAndGet(found.map(e -> (long) e.value().length).orElse(0L));
        if (total > limit) {
          done.completeExceptionally(new OverLimit(limit));
          return;
        }
        results.set(i, found);
        if (finished.incrementAndGet() == n) {
          List<Optional<Entry>> out = new ArrayList<>(n);
          for (int k = 0; k < n; k++) {
            out.add(results.get(k));
          }
          done.complete(out);
        } else {
          lane[0].run();
        }
      });
    };
    for (int l = 0; l < Math.min(WINDOW, n); l++) {
      lane[0].run();
    }
    return done;
  }
}
