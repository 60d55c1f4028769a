package io.kvpipe.bench;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.ring.HashRing;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongFunction;

/**
 * Loads {@code count} keys straight into the shard groups, each key to the group the ring gives it, in PutAll batches
 * (one Raft log entry each) with a few batches in flight per group; prints progress and the rate once a second.
 */
final class BulkLoader {
  private static final int IN_FLIGHT_PER_GROUP = 4;

  private final HashRing ring;
  private final Map<String, ShardGroupClient> groups;
  private final int batchSize;
  private final PrintStream out;

  BulkLoader(HashRing ring, Map<String, ShardGroupClient> groups, int batchSize, PrintStream out) {
    this.ring = ring;
    this.groups = groups;
    this.batchSize = batchSize;
    this.out = out;
  }

  static String key(long i) {
    return String.format("bench-%09d", i);
  }

  /** Loads {@code key(0..count-1)}; returns the load rate in keys per second. */
  double load(long count, byte[] value) throws InterruptedException {
    return load(count, BulkLoader::key, value);
  }

  /** Loads {@code keyOf(0..count-1)}; returns the load rate in keys per second. */
  double load(long count, LongFunction<String> keyOf, byte[] value) throws InterruptedException {
    Map<String, Semaphore> slots = new LinkedHashMap<>();
    Map<String, Map<String, byte[]>> pending = new LinkedHashMap<>();
    groups.keySet().forEach(g -> {
      slots.put(g, new Semaphore(IN_FLIGHT_PER_GROUP));
      pending.put(g, new LinkedHashMap<>());
    });
    AtomicLong loaded = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<CompletableFuture<?>> last = new ArrayList<>();
    long start = System.nanoTime();
    long nextReport = start + 1_000_000_000L;
    for (long i = 0; i < count; i++) {
      String k = keyOf.apply(i);
      String g = ring.groupFor(k.getBytes(StandardCharsets.UTF_8));
      Map<String, byte[]> batch = pending.get(g);
      batch.put(k, value);
      if (batch.size() >= batchSize || i == count - 1) {
        last.add(send(g, batch, slots.get(g), loaded, failure));
        pending.put(g, new LinkedHashMap<>());
      }
      if (failure.get() != null) {
        throw new IllegalStateException("bulk load failed", failure.get());
      }
      long now = System.nanoTime();
      if (now >= nextReport) {
        double s = (now - start) / 1e9;
        out.printf("  loading: %,d / %,d keys (%.0f%%), %,.0f keys/s%n", loaded.get(), count,
            100.0 * loaded.get() / count, loaded.get() / s);
        nextReport += 1_000_000_000L;
      }
    }
    for (Map.Entry<String, Map<String, byte[]>> e : pending.entrySet()) {
      if (!e.getValue().isEmpty()) {
        last.add(send(e.getKey(), e.getValue(), slots.get(e.getKey()), loaded, failure));
      }
    }
    CompletableFuture.allOf(last.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
    if (failure.get() != null) {
      throw new IllegalStateException("bulk load failed", failure.get());
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    out.printf("  loaded %,d keys in %.1f s: %,.0f keys/s%n", loaded.get(), seconds, loaded.get() / seconds);
    return loaded.get() / seconds;
  }

  private CompletableFuture<?> send(String group, Map<String, byte[]> batch, Semaphore slots, AtomicLong loaded,
                                    AtomicReference<Throwable> failure) throws InterruptedException {
    slots.acquire();
    return groups.get(group).putAllAsync(batch).whenComplete((w, e) -> {
      slots.release();
      if (e != null) {
        failure.compareAndSet(null, e);
      } else {
        loaded.addAndGet(batch.size());
      }
    });
  }
}
