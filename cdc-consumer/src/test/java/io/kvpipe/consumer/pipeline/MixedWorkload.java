package io.kvpipe.consumer.pipeline;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.Versions;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Reply;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Concurrent writers over a shared key set (case-only differences, non-ASCII keys): unconditional and conditional
 * puts and deletes with binary values of mixed sizes (a few of 100 KiB). Every write's outcome is recorded: an
 * acknowledged write by (key, version); a write that failed with an uncertain outcome (timeout, leader lost) as a
 * possible write; a refused conditional write (version mismatch) as nothing. Each put value starts with a unique
 * 8-byte attempt id, so an archived row can be traced to the attempt that made it.
 *
 * <p>Threads: each writer thread owns its random source; the outcome collections are concurrent and read by the test
 * thread after {@link #stop()} has joined the writers.
 */
final class MixedWorkload {
  /** An acknowledged write: {@code value == null} for a delete. */
  record Ack(String key, long version, byte[] value) {}

  /** A write whose outcome is unknown: it may or may not have been committed. */
  record Uncertain(String key, byte[] value) {}

  private final ShardGroupClient client;
  private final List<String> keys;
  private final int writers;
  private final int opsPerWriter;
  private final ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Uncertain> uncertain = new ConcurrentLinkedQueue<>();
  private final AtomicInteger refused = new AtomicInteger();
  private final AtomicLong attempts = new AtomicLong();
  private final Map<String, Throwable> crashed = new ConcurrentHashMap<>();
  private final List<Thread> threads = new ArrayList<>();

  MixedWorkload(ShardGroupClient client, List<String> keys, int writers, int opsPerWriter) {
    this.client = client;
    this.keys = List.copyOf(keys);
    this.writers = writers;
    this.opsPerWriter = opsPerWriter;
  }

  /** A few hundred keys: plain ones, ones differing only in case, and non-ASCII ones (NFC and NFD forms apart). */
  static List<String> keys(int plain) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < plain; i++) {
      keys.add("k" + i);
    }
    for (int i = 0; i < 10; i++) {
      keys.add("Case-" + i);
      keys.add("case-" + i);
      keys.add("CASE-" + i);
    }
    keys.addAll(List.of("ключ", "Ключ", "鍵/値", "clé", "cle\u0301", "🔑", "🔑🔑", "naïve key", "Ωmega", "ωmega",
        "tab\tkey", "x".repeat(512)));
    return keys;
  }

  void start() {
    for (int w = 0; w < writers; w++) {
      int writer = w;
      threads.add(Thread.ofPlatform().name("pipeline-writer-" + w).start(() -> {
        try {
          run(writer);
        } catch (Throwable e) {
          crashed.put("writer-" + writer, e);
        }
      }));
    }
  }

  /** Waits for the writers to finish their operations; rethrows a writer's unexpected failure. */
  void join() throws InterruptedException {
    for (Thread t : threads) {
      t.join();
    }
    crashed.forEach((name, e) -> {
      throw new IllegalStateException(name + " failed", e);
    });
  }

  int ackCount() {
    return acks.size();
  }

  List<Ack> acks() {
    return List.copyOf(acks);
  }

  List<Uncertain> uncertain() {
    return List.copyOf(uncertain);
  }

  int refused() {
    return refused.get();
  }

  long attempts() {
    return attempts.get();
  }

  private void run(int writer) {
    SplittableRandom random = new SplittableRandom(1000 + writer);
    for (int i = 0; i < opsPerWriter; i++) {
      String key = keys.get(random.nextInt(keys.size()));
      long attempt = ((long) writer << 32) | i;
      int kind = random.nextInt(100);
      if (kind < 50) {
        write(key, value(attempt, random), Long.MIN_VALUE);
      } else if (kind < 70) {
        Optional<Entry> live = readLive(key);
        write(key, value(attempt, random), live.map(Entry::version).orElse(Versions.NONE));
      } else if (kind < 88) {
        write(key, null, Long.MIN_VALUE);
      } else {
        Optional<Entry> live = readLive(key);
        if (live.isPresent()) {
          write(key, null, live.get().version());
        }
      }
    }
  }

  private Optional<Entry> readLive(String key) {
    try {
      return client.get(key);
    } catch (KvException e) {
      if (!e.retriable()) {
        throw e;
      }
      return Optional.empty(); // during an election: the conditional write then expects "absent", fine either way
    }
  }

  /** {@code expected == Long.MIN_VALUE}: unconditional. {@code value == null}: delete. */
  private void write(String key, byte[] value, long expected) {
    attempts.incrementAndGet();
    try {
      Reply.Written w;
      if (value == null) {
        w = expected == Long.MIN_VALUE ? client.delete(key) : client.delete(key, expected);
      } else {
        w = expected == Long.MIN_VALUE ? client.put(key, value) : client.put(key, value, expected);
      }
      acks.add(new Ack(key, w.version(), value));
    } catch (KvException e) {
      if (e.code() == ErrorCode.VERSION_MISMATCH) {
        refused.incrementAndGet(); // refused by the state machine: nothing changed
      } else if (e.retriable() || e.code() == ErrorCode.INTERNAL) {
        uncertain.add(new Uncertain(key, value)); // the leader was killed: committed or not, we cannot know
      } else {
        throw e;
      }
    }
  }

  /** 8-byte attempt id, then random bytes: mostly small, some of a few KiB, 1 in 60 of 100 KiB. */
  private static byte[] value(long attempt, SplittableRandom random) {
    int roll = random.nextInt(60);
    int size = roll == 0 ? 100 * 1024 : roll < 10 ? 1024 + random.nextInt(4096) : random.nextInt(200);
    byte[] v = new byte[8 + size];
    ByteBuffer.wrap(v).putLong(attempt);
    for (int i = 8; i < v.length; i++) {
      v[i] = (byte) random.nextInt(256);
    }
    return v;
  }

  static long attemptOf(byte[] value) {
    return ByteBuffer.wrap(value).getLong();
  }

  static ByteBuffer keyBytes(String key) {
    return ByteBuffer.wrap(key.getBytes(StandardCharsets.UTF_8));
  }
}
