package io.kvpipe.proxy.resp;

import io.kvpipe.common.Ttl;
import io.kvpipe.proxy.kv.KeyTtl;
import io.kvpipe.proxy.kv.KvRouter;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * The TTL commands over the store's TTL (docs/ttl.md, docs/resp.md): EXPIRE and its kin, TTL and its kin, PERSIST,
 * GETEX. Each one that changes a TTL reads the key and then writes conditionally on the version read ({@link Cas}),
 * so its answer ("the key existed", "the option allowed it", the value GETEX returns) is about the very version whose
 * TTL it changed. A deadline already past deletes the key, as Redis does.
 */
final class RespTtlCommands {
  private final KvRouter router;
  private final LongSupplier clock;

  RespTtlCommands(KvRouter router, LongSupplier clock) {
    this.router = router;
    this.clock = clock;
  }

  /** EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT key time [NX | XX | GT | LT]: 1 if the TTL was set (or the key deleted). */
  RespCommands.Call expire(List<byte[]> args, boolean seconds, boolean absolute) {
    String name = RespCommands.upper(args.get(0));
    RespCommands.arity(args, 3, -1, name);
    byte[] key = RespDataCommands.key(args.get(1));
    Expiry when = Expiry.ofExpireArgument(args.get(2), seconds, absolute, name.toLowerCase(java.util.Locale.ROOT),
        clock.getAsLong());
    Expiry.Condition condition = Expiry.Condition.parse(args, 3);
    return new RespCommands.Call(List.of(key), () -> Cas.update(router, key, current -> {
      if (current.isEmpty()) {
        return Cas.Decision.done(ZERO);
      }
      if (!condition.allows(current.get().expiresAtMs(), when.amountMs())) {
        return Cas.Decision.done(ZERO);
      }
      long ttl = when.ttlAt(clock.getAsLong());
      return ttl <= 0 ? Cas.Decision.delete(ONE) : Cas.Decision.setTtl(ttl, ONE);
    }));
  }

  /** TTL, PTTL, EXPIRETIME, PEXPIRETIME key: -2 missing, -1 no TTL, else the time left or the deadline. */
  RespCommands.Call ttl(List<byte[]> args, boolean millis, boolean absolute) {
    String name = RespCommands.upper(args.get(0));
    RespCommands.arity(args, 2, 2, name);
    byte[] key = RespDataCommands.key(args.get(1));
    return new RespCommands.Call(List.of(key), () -> router.read(key, false, System.nanoTime()).thenApply(found -> {
      KeyTtl t = KeyTtl.of(found, clock.getAsLong());
      if (!t.exists() || t.expiresAtMs() == Ttl.NONE) {
        return new RespValue.Int(t.remainingMs());
      }
      long ms = absolute ? t.expiresAtMs() : t.remainingMs();
      // Seconds are rounded to the nearest, as Redis rounds them.
      return new RespValue.Int(millis ? ms : (ms + 500) / 1000);
    }));
  }

  /** PERSIST key: 1 if the key had a TTL and now has none, else 0. */
  RespCommands.Call persist(List<byte[]> args) {
    RespCommands.arity(args, 2, 2, "PERSIST");
    byte[] key = RespDataCommands.key(args.get(1));
    return new RespCommands.Call(List.of(key), () -> Cas.update(router, key, current ->
        current.isEmpty() || !current.get().hasTtl() ? Cas.Decision.done(ZERO)
            : Cas.Decision.setTtl(Ttl.NONE, ONE)));
  }

  /** GETEX key [EX s | PX ms | EXAT t | PXAT t | PERSIST]: the value, after changing its TTL as asked. */
  RespCommands.Call getex(List<byte[]> args) {
    RespCommands.arity(args, 2, -1, "GETEX");
    byte[] key = RespDataCommands.key(args.get(1));
    Expiry expiry = Expiry.NONE;
    long now = clock.getAsLong();
    for (int i = 2; i < args.size(); i++) {
      String opt = RespCommands.upper(args.get(i));
      if (expiry != Expiry.NONE) {
        throw RespException.syntax();
      }
      switch (opt) {
        case "EX", "PX", "EXAT", "PXAT" -> {
          if (i + 1 >= args.size()) {
            throw RespException.syntax();
          }
          expiry = Expiry.ofSetOption(opt, args.get(++i), "getex", now);
        }
        case "PERSIST" -> expiry = Expiry.PERSIST;
        default -> throw RespException.syntax();
      }
    }
    Expiry asked = expiry;
    return new RespCommands.Call(List.of(key), () -> Cas.update(router, key, current -> {
      if (current.isEmpty()) {
        return Cas.Decision.done(RespValue.NULL);
      }
      RespValue value = new RespValue.Bulk(current.get().value());
      return switch (asked.kind()) {
        case NONE, KEEP -> Cas.Decision.done(value);
        case PERSIST -> current.get().hasTtl() ? Cas.Decision.setTtl(Ttl.NONE, value) : Cas.Decision.done(value);
        case RELATIVE, ABSOLUTE -> {
          long ttl = asked.ttlAt(clock.getAsLong());
          yield ttl <= 0 ? Cas.Decision.delete(value) : Cas.Decision.setTtl(ttl, value);
        }
      };
    }));
  }

  /**
   * SET with KEEPTTL, or with an absolute time already past when it runs: read, then a put keeping the deadline read
   * (as a TTL by this proxy's clock: the deadline moves by the time between the read and the leader's stamp, a few
   * ms) or, for a time past, a delete; both conditional on the version read, repeated if another writer got there.
   */
  CompletableFuture<RespValue> setReadingFirst(byte[] key, byte[] value, boolean nx, boolean xx, boolean get,
                                               Expiry expiry) {
    return Cas.update(router, key, current -> {
      boolean present = current.isPresent();
      RespValue old = get ? current.<RespValue>map(e -> new RespValue.Bulk(e.value())).orElse(RespValue.NULL)
          : null;
      if (nx && present || xx && !present) {
        return Cas.Decision.done(get ? old : RespValue.NULL);
      }
      RespValue answer = get ? old : RespValue.OK;
      if (expiry.kind() == Expiry.Kind.KEEP) {
        return Cas.Decision.put(value, Expiry.keptTtl(current, clock.getAsLong()), w -> answer);
      }
      long ttl = expiry.ttlAt(clock.getAsLong());
      if (ttl > 0) {
        return Cas.Decision.put(value, ttl, w -> answer);
      }
      // Set and expired at once, as in Redis: the key ends up absent.
      return present ? Cas.Decision.delete(answer) : Cas.Decision.done(answer);
    });
  }

  long now() {
    return clock.getAsLong();
  }

  private static final RespValue ZERO = new RespValue.Int(0);
  private static final RespValue ONE = new RespValue.Int(1);
}
