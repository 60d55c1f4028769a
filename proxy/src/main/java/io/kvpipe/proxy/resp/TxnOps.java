package io.kvpipe.proxy.resp;

import io.kvpipe.common.Keys;
import io.kvpipe.common.Ttl;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * What a command queued after MULTI is in the transaction. A kvpipe transaction (docs/txn.md) is compares plus
 * unconditional puts, deletes and gets. GET, SET, SETEX, PSETEX, DEL, UNLINK, MGET, MSET, EXISTS, TYPE are those ops
 * directly (PING, ECHO, UNWATCH need none). INCR and its kin, and SET with NX, XX, KEEPTTL, EXAT or PXAT, depend on
 * the key's value before the transaction: EXEC reads it first, plans the op from it and has the transaction compare
 * the key's version with the one read (repeating all of it if another writer got in between). Any other command is
 * refused when queued, which makes EXEC discard the transaction.
 */
final class TxnOps {
  /** What can be queued, for the refusal's text. */
  static final String QUEUEABLE = "GET, SET, SETEX, PSETEX, DEL, UNLINK, MGET, MSET, EXISTS, TYPE, INCR, DECR,"
      + " INCRBY, DECRBY, PING, ECHO, UNWATCH";

  private TxnOps() {}

  /** {@code name} upper case. Throws RespException (or a key/value check's KvException) when it cannot be queued. */
  static TxnQueue.Queued of(String name, List<byte[]> args, int maxValueBytes, LongSupplier clock) {
    return switch (name) {
      case "GET" -> {
        RespCommands.arity(args, 2, 2, name);
        yield TxnQueue.Queued.of(List.of(get(args.get(1))), r -> value(r.get(0)));
      }
      case "TYPE" -> {
        RespCommands.arity(args, 2, 2, name);
        yield TxnQueue.Queued.of(List.of(get(args.get(1))), r -> new RespValue.Simple(found(r.get(0)) ? "string"
            : "none"));
      }
      case "SET" -> set(args, maxValueBytes, clock);
      case "INCR" -> incrBy(args, 1, false, clock);
      case "DECR" -> incrBy(args, -1, false, clock);
      case "INCRBY" -> incrBy(args, 1, true, clock);
      case "DECRBY" -> incrBy(args, -1, true, clock);
      case "SETEX", "PSETEX" -> {
        RespCommands.arity(args, 4, 4, name);
        Expiry e = Expiry.ofSetOption(name.equals("SETEX") ? "EX" : "PX", args.get(2), name.toLowerCase(
            java.util.Locale.ROOT), 0);
        yield TxnQueue.Queued.of(List.of(put(args.get(1), args.get(3), e.amountMs(), maxValueBytes)),
            r -> RespValue.OK);
      }
      case "DEL", "UNLINK" -> {
        RespCommands.arity(args, 2, -1, name);
        List<Request> ops = new ArrayList<>();
        for (int i = 1; i < args.size(); i++) {
          ops.add(new Command.Delete(RespDataCommands.key(args.get(i)), Request.ANY_VERSION));
        }
        yield TxnQueue.Queued.of(ops, r -> new RespValue.Int(r.stream()
            .filter(w -> ((Reply.Written) w).previous() != null).count()));
      }
      case "MGET", "EXISTS" -> {
        RespCommands.arity(args, 2, -1, name);
        List<Request> ops = new ArrayList<>();
        for (int i = 1; i < args.size(); i++) {
          ops.add(get(args.get(i)));
        }
        yield TxnQueue.Queued.of(ops, name.equals("MGET")
            ? r -> new RespValue.Array(r.stream().map(TxnOps::value).toList())
            : r -> new RespValue.Int(r.stream().filter(TxnOps::found).count()));
      }
      case "MSET" -> {
        if (args.size() < 3 || args.size() % 2 == 0) {
          throw RespException.arity("MSET");
        }
        List<Request> ops = new ArrayList<>();
        for (int i = 1; i < args.size(); i += 2) {
          ops.add(put(args.get(i), args.get(i + 1), Ttl.NONE, maxValueBytes));
        }
        yield TxnQueue.Queued.of(ops, r -> RespValue.OK);
      }
      case "PING" -> {
        RespCommands.arity(args, 1, 2, name);
        RespValue pong = args.size() == 2 ? new RespValue.Bulk(args.get(1)) : new RespValue.Simple("PONG");
        yield TxnQueue.Queued.of(List.of(), r -> pong);
      }
      case "UNWATCH" -> {
        // Queued and harmless, as in Redis: EXEC forgets the WATCHes anyway once it has compared on them.
        RespCommands.arity(args, 1, 1, name);
        yield TxnQueue.Queued.of(List.of(), r -> RespValue.OK);
      }
      case "ECHO" -> {
        RespCommands.arity(args, 2, 2, name);
        RespValue echo = new RespValue.Bulk(args.get(1));
        yield TxnQueue.Queued.of(List.of(), r -> echo);
      }
      default -> throw RespCommands.isKnown(name)
          ? RespException.err("'" + name + "' cannot run inside MULTI in kvpipe: a transaction takes " + QUEUEABLE
              + " (docs/resp.md)")
          : RespCommands.unknownCommand(args);
    };
  }

  /**
   * SET with every option. Plain, GET, EX, PX: a put (after a get of the key for GET). NX, XX, KEEPTTL, EXAT, PXAT
   * depend on the key's state before the transaction: planned at EXEC from a read of the key, whose version the
   * transaction then compares.
   */
  private static TxnQueue.Queued set(List<byte[]> args, int maxValueBytes, LongSupplier clock) {
    SetArgs a = SetArgs.parse(args, maxValueBytes, clock.getAsLong());
    byte[] key = a.key();
    byte[] value = a.value();
    boolean nx = a.nx();
    boolean xx = a.xx();
    boolean get = a.get();
    Expiry expiry = a.expiry();
    boolean readsFirst = nx || xx || expiry.kind() == Expiry.Kind.KEEP || expiry.kind() == Expiry.Kind.ABSOLUTE;
    if (!readsFirst) {
      Command.Put put = new Command.Put(key, value, Request.ANY_VERSION, expiry.timed() ? expiry.amountMs()
          : Ttl.NONE);
      return get ? TxnQueue.Queued.of(List.of(get(key), put), r -> value(r.get(0)))
          : TxnQueue.Queued.of(List.of(put), r -> RespValue.OK);
    }
    boolean returnOld = get;
    boolean onlyIfAbsent = nx;
    boolean onlyIfPresent = xx;
    return TxnQueue.Queued.readingFirst(key, read -> {
      Optional<Entry> current = read.get(ByteBuffer.wrap(key));
      RespValue old = current.<RespValue>map(e -> new RespValue.Bulk(e.value())).orElse(RespValue.NULL);
      if (onlyIfAbsent && current.isPresent() || onlyIfPresent && current.isEmpty()) {
        return new TxnQueue.Planned(List.of(), r -> returnOld ? old : RespValue.NULL);
      }
      RespValue answer = returnOld ? old : RespValue.OK;
      long ttl = expiry.kind() == Expiry.Kind.KEEP ? Expiry.keptTtl(current, clock.getAsLong())
          : expiry.timed() ? expiry.ttlAt(clock.getAsLong()) : Ttl.NONE;
      if (expiry.timed() && ttl <= 0) {
        // Set and expired at once, as in Redis: the key ends up absent.
        return new TxnQueue.Planned(current.isPresent() ? List.of(new Command.Delete(key, Request.ANY_VERSION))
            : List.of(), r -> answer);
      }
      return new TxnQueue.Planned(List.of(new Command.Put(key, value, Request.ANY_VERSION, ttl)), r -> answer);
    });
  }

  /** INCR, DECR, INCRBY, DECRBY: planned at EXEC from the value read before the transaction; the TTL is kept. */
  private static TxnQueue.Queued incrBy(List<byte[]> args, int sign, boolean withAmount, LongSupplier clock) {
    String name = RespCommands.upper(args.get(0));
    RespCommands.arity(args, withAmount ? 3 : 2, withAmount ? 3 : 2, name);
    byte[] key = RespDataCommands.key(args.get(1));
    long amount = withAmount ? RespArgs.integer(args.get(2), "value is not an integer or out of range") : 1;
    if (sign < 0 && amount == Long.MIN_VALUE) {
      throw RespException.err("decrement would overflow");
    }
    long delta = sign * amount;
    return TxnQueue.Queued.readingFirst(key, read -> {
      Optional<Entry> current = read.get(ByteBuffer.wrap(key));
      long now = 0;
      if (current.isPresent()) {
        Long parsed = RespArgs.parseStrict(current.get().value());
        if (parsed == null) {
          // As in Redis, a command that fails at EXEC answers its error; the others still run.
          return failing("ERR value is not an integer or out of range");
        }
        now = parsed;
      }
      long next;
      try {
        next = Math.addExact(now, delta);
      } catch (ArithmeticException e) {
        return failing("ERR increment or decrement would overflow");
      }
      byte[] value = Long.toString(next).getBytes(StandardCharsets.US_ASCII);
      long ttl = Expiry.keptTtl(current, clock.getAsLong());
      return new TxnQueue.Planned(List.of(new Command.Put(key, value, Request.ANY_VERSION, ttl)),
          r -> new RespValue.Int(next));
    });
  }

  private static TxnQueue.Planned failing(String error) {
    RespValue e = new RespValue.Error(error);
    return new TxnQueue.Planned(List.of(), r -> e);
  }

  private static Query.Get get(byte[] key) {
    return new Query.Get(RespDataCommands.key(key));
  }

  private static Command.Put put(byte[] key, byte[] value, long ttlMs, int maxValueBytes) {
    Keys.validateValue(value, maxValueBytes);
    return new Command.Put(RespDataCommands.key(key), value, Request.ANY_VERSION, ttlMs);
  }

  private static boolean found(Reply r) {
    Entry e = ((Reply.Found) r).entry();
    return e != null && !e.deleted();
  }

  private static RespValue value(Reply r) {
    return found(r) ? new RespValue.Bulk(((Reply.Found) r).entry().value()) : RespValue.NULL;
  }
}
