package io.kvpipe.proxy.resp;

import io.kvpipe.common.Keys;
import io.kvpipe.common.Ttl;
import io.kvpipe.common.Versions;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import io.kvpipe.client.RaftErrors;
import io.kvpipe.proxy.kv.BoundedReads;
import io.kvpipe.proxy.kv.KvRouter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * The data commands, each a thin layer over the HTTP API's own path: the same {@link KvRouter} (routing, retries,
 * migration fallbacks, linearizable reads), the same key and value checks ({@link Keys}), the same limits (at most
 * 1000 keys per multi-key command, like a batch; {@code --max-batch-get-bytes} of values per MGET). Arguments are
 * checked when a command is prepared; the store is called when the connection issues it.
 */
final class RespDataCommands {
  /** Keys per multi-key command, as for an HTTP batch. */
  static final int MAX_KEYS = 1000;

  private final KvRouter router;
  private final RespScan scan;
  private final int maxValueBytes;
  private final long maxBatchGetBytes;
  private final RespTtlCommands ttl;

  RespDataCommands(KvRouter router, RespScan scan, int maxValueBytes, long maxBatchGetBytes) {
    this(router, scan, maxValueBytes, maxBatchGetBytes, System::currentTimeMillis);
  }

  /** {@code clock}: this proxy's wall clock, which turns absolute expiry times into TTLs. */
  RespDataCommands(KvRouter router, RespScan scan, int maxValueBytes, long maxBatchGetBytes, LongSupplier clock) {
    this.router = router;
    this.ttl = new RespTtlCommands(router, clock);
    this.scan = scan;
    this.maxValueBytes = maxValueBytes;
    this.maxBatchGetBytes = maxBatchGetBytes;
  }

  RespCommands.Call get(List<byte[]> args) {
    RespCommands.arity(args, 2, 2, "GET");
    byte[] key = key(args.get(1));
    return call(List.of(key), () -> read(key).thenApply(e -> e.<RespValue>map(x -> new RespValue.Bulk(x.value()))
        .orElse(RespValue.NULL)));
  }

  RespCommands.Call type(List<byte[]> args) {
    RespCommands.arity(args, 2, 2, "TYPE");
    byte[] key = key(args.get(1));
    return call(List.of(key), () -> read(key).thenApply(e -> new RespValue.Simple(e.isPresent() ? "string"
        : "none")));
  }

  /** SET key value [NX | XX] [GET] [EX s | PX ms | EXAT t | PXAT t | KEEPTTL]. */
  RespCommands.Call set(List<byte[]> args) {
    SetArgs a = SetArgs.parse(args, maxValueBytes, ttl.now());
    return set(a.key(), a.value(), a.nx(), a.xx(), a.get(), a.expiry());
  }

  /** SETEX key seconds value, PSETEX key ms value: SET key value EX|PX time. */
  RespCommands.Call setex(List<byte[]> args, boolean millis) {
    String name = RespCommands.upper(args.get(0));
    RespCommands.arity(args, 4, 4, name);
    byte[] key = key(args.get(1));
    Expiry expiry = Expiry.ofSetOption(millis ? "PX" : "EX", args.get(2), name.toLowerCase(java.util.Locale.ROOT),
        ttl.now());
    Keys.validateValue(args.get(3), maxValueBytes);
    return set(key, args.get(3), false, false, false, expiry);
  }

  private RespCommands.Call set(byte[] key, byte[] value, boolean nx, boolean xx, boolean get, Expiry expiry) {
    return call(List.of(key), () -> {
      long ttlMs = expiry.timed() ? expiry.ttlAt(ttl.now()) : Ttl.NONE;
      if (expiry.kind() == Expiry.Kind.KEEP || (expiry.timed() && ttlMs <= 0)) {
        return ttl.setReadingFirst(key, value, nx, xx, get, expiry);
      }
      return setWithTtl(key, value, nx, xx, get, ttlMs);
    });
  }

  private CompletableFuture<RespValue> setWithTtl(byte[] key, byte[] value, boolean nx, boolean xx, boolean get,
                                                  long ttlMs) {
    if (nx) {
      return router.putWithTtl(key, value, Versions.NONE, ttlMs, System.nanoTime()).handle((w, err) -> {
        if (err == null) {
          return CompletableFuture.completedFuture(get ? RespValue.NULL : RespValue.OK);
        }
        if (mismatch(err)) {
          // Not set: the key has a live value. SET NX GET answers with it.
          return get ? read(key).thenApply(RespDataCommands::bulkOrNull)
              : CompletableFuture.completedFuture(RespValue.NULL);
        }
        return CompletableFuture.<RespValue>failedFuture(err);
      }).thenCompose(f -> f);
    }
    if (xx) {
      return Cas.update(router, key, current -> current.isEmpty() ? Cas.Decision.done(
          RespValue.NULL) : Cas.Decision.put(value, ttlMs, w -> get ? bulkOrNull(w.previous()) : RespValue.OK));
    }
    return router.putWithTtl(key, value, Request.ANY_VERSION, ttlMs, System.nanoTime())
        .thenApply(w -> get ? bulkOrNull(w.previous()) : RespValue.OK);
  }

  RespCommands.Call del(List<byte[]> args) {
    RespCommands.arity(args, 2, MAX_KEYS + 1, RespCommands.upper(args.get(0)));
    List<byte[]> keys = keys(args, 1);
    return call(keys, () -> {
      List<CompletableFuture<Reply.Written>> deletes = new ArrayList<>();
      for (byte[] key : keys) {
        String k = new String(key, StandardCharsets.UTF_8);
        deletes.add(router.write(key, c -> c.deleteAsync(k, Request.ANY_VERSION), System.nanoTime()));
      }
      return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new)).thenApply(v ->
          new RespValue.Int(deletes.stream().filter(d -> d.join().previous() != null).count()));
    });
  }

  RespCommands.Call exists(List<byte[]> args) {
    RespCommands.arity(args, 2, MAX_KEYS + 1, "EXISTS");
    List<byte[]> keys = keys(args, 1);
    return call(keys, () -> readAll(keys).thenApply(found ->
        new RespValue.Int(found.stream().filter(Optional::isPresent).count())));
  }

  RespCommands.Call mget(List<byte[]> args) {
    RespCommands.arity(args, 2, MAX_KEYS + 1, "MGET");
    List<byte[]> keys = keys(args, 1);
    return call(keys, () -> readAll(keys).thenApply(found -> {
      List<RespValue> items = new ArrayList<>(found.size());
      for (Optional<Entry> e : found) {
        items.add(e.<RespValue>map(x -> new RespValue.Bulk(x.value())).orElse(RespValue.NULL));
      }
      return new RespValue.Array(items);
    }));
  }

  /** Not atomic, like an HTTP batch put: each key is written on its own; a failure names how many were written. */
  RespCommands.Call mset(List<byte[]> args) {
    if (args.size() < 3 || args.size() % 2 == 0 || args.size() > 2 * MAX_KEYS + 1) {
      throw RespException.arity("MSET");
    }
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    for (int i = 1; i < args.size(); i += 2) {
      keys.add(key(args.get(i)));
      Keys.validateValue(args.get(i + 1), maxValueBytes);
      values.add(args.get(i + 1));
    }
    return call(keys, () -> {
      List<CompletableFuture<Reply.Written>> puts = new ArrayList<>();
      for (int i = 0; i < keys.size(); i++) {
        puts.add(write(keys.get(i), new String(keys.get(i), StandardCharsets.UTF_8), values.get(i),
            Request.ANY_VERSION));
      }
      return CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).handle((v, err) -> {
        if (err == null) {
          return RespValue.OK;
        }
        long failed = puts.stream().filter(CompletableFuture::isCompletedExceptionally).count();
        Throwable first = puts.stream().filter(CompletableFuture::isCompletedExceptionally).findFirst()
            .map(RespDataCommands::failureOf).orElse(err);
        String text = ((RespValue.Error) RespErrors.of(first)).text();
        return new RespValue.Error(text + " (MSET is not atomic: " + (keys.size() - failed) + " of " + keys.size()
            + " keys were written)");
      });
    });
  }

  /**
   * INCR, DECR, INCRBY, DECRBY: a compare-and-set on the key's version, retried while another writer wins; the key's
   * TTL is kept.
   */
  RespCommands.Call incrBy(List<byte[]> args, int sign, boolean withAmount) {
    String name = RespCommands.upper(args.get(0));
    RespCommands.arity(args, withAmount ? 3 : 2, withAmount ? 3 : 2, name);
    byte[] key = key(args.get(1));
    long amount = withAmount ? RespArgs.integer(args.get(2), "value is not an integer or out of range") : 1;
    if (sign < 0 && amount == Long.MIN_VALUE) {
      throw RespException.err("decrement would overflow");
    }
    long delta = sign * amount;
    return call(List.of(key), () -> Cas.update(router, key, current -> {
      long now = 0;
      if (current.isPresent()) {
        Long parsed = RespArgs.parseStrict(current.get().value());
        if (parsed == null) {
          throw RespException.err("value is not an integer or out of range");
        }
        now = parsed;
      }
      long next;
      try {
        next = Math.addExact(now, delta);
      } catch (ArithmeticException e) {
        throw RespException.err("increment or decrement would overflow");
      }
      // The key keeps its TTL, as in Redis (a put without one would remove it).
      return Cas.Decision.put(Long.toString(next).getBytes(StandardCharsets.US_ASCII),
          Expiry.keptTtl(current, ttl.now()), w -> new RespValue.Int(next));
    }));
  }

  RespTtlCommands ttl() {
    return ttl;
  }

  RespCommands.Call scan(List<byte[]> args) {
    return scan.prepare(args);
  }

  private CompletableFuture<Optional<Entry>> read(byte[] key) {
    return router.read(key, false, System.nanoTime());
  }

  private CompletableFuture<List<Optional<Entry>>> readAll(List<byte[]> keys) {
    return BoundedReads.run(keys, k -> router.read(k, false, System.nanoTime()), maxBatchGetBytes);
  }

  private CompletableFuture<Reply.Written> write(byte[] key, String k, byte[] value, long expected) {
    return router.write(key, c -> c.putAsync(k, value, expected), System.nanoTime());
  }

  static boolean mismatch(Throwable err) {
    return RaftErrors.unwrap(err) instanceof KvException kv && kv.code() == ErrorCode.VERSION_MISMATCH;
  }

  private static Throwable failureOf(CompletableFuture<?> f) {
    try {
      f.join();
      return new IllegalStateException("not failed");
    } catch (RuntimeException e) {
      return e;
    }
  }

  static RespValue bulkOrNull(byte[] value) {
    return value == null ? RespValue.NULL : new RespValue.Bulk(value);
  }

  private static RespValue bulkOrNull(Optional<Entry> e) {
    return e.<RespValue>map(x -> new RespValue.Bulk(x.value())).orElse(RespValue.NULL);
  }

  private static RespCommands.Call call(List<byte[]> keys,
                                        java.util.function.Supplier<CompletableFuture<RespValue>> run) {
    return new RespCommands.Call(keys, run);
  }

  /** A key as the HTTP API takes one: 1..512 bytes of valid UTF-8. */
  static byte[] key(byte[] raw) {
    Keys.validateKey(raw);
    return raw;
  }

  private static List<byte[]> keys(List<byte[]> args, int from) {
    List<byte[]> keys = new ArrayList<>(args.size() - from);
    for (int i = from; i < args.size(); i++) {
      keys.add(key(args.get(i)));
    }
    return keys;
  }
}
