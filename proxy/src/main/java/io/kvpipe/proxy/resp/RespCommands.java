package io.kvpipe.proxy.resp;

import io.kvpipe.proxy.http.TokenSet;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The command table: connection commands (AUTH, HELLO, PING, CLIENT, SELECT, QUIT, ECHO) are answered here at once,
 * on the connection's reader thread, so their effect on the session is in order with the commands around them; data
 * commands are prepared by {@link RespDataCommands} (arguments checked now, the store called when the connection
 * issues them). Before AUTH only AUTH, HELLO and QUIT are accepted.
 */
final class RespCommands {
  /** The Redis version clients are told (HELLO), so they use the RESP3 and HELLO paths; kvpipe's own is beside it. */
  static final String REDIS_COMPAT_VERSION = "7.0.0";

  /** What running a command amounts to. */
  sealed interface Outcome permits Now, Call {}

  /** The reply is known; {@code close}: the connection closes after sending it. */
  record Now(RespValue reply, boolean close) implements Outcome {}

  /**
   * A call to the store on {@code keys} (null: a barrier over the whole keyspace, see {@link PipelineOrder}), started
   * by {@code run} when the connection issues it.
   */
  record Call(List<byte[]> keys, Supplier<CompletableFuture<RespValue>> run) implements Outcome {}

  private final Supplier<TokenSet> tokens;
  private final RespDataCommands data;
  private final RespTransactions txn;

  RespCommands(Supplier<TokenSet> tokens, RespDataCommands data, RespTransactions txn) {
    this.tokens = tokens;
    this.data = data;
    this.txn = txn;
  }

  Outcome prepare(RespSession s, List<byte[]> args) {
    String name = upper(args.get(0));
    try {
      return switch (name) {
        case "AUTH" -> now(auth(s, args));
        case "HELLO" -> now(hello(s, args));
        case "QUIT" -> new Now(RespValue.OK, true);
        default -> s.authenticated ? authenticated(s, name, args)
            : now(new RespValue.Error("NOAUTH Authentication required."));
      };
    } catch (RespException e) {
      return now(new RespValue.Error(e.getMessage()));
    } catch (RuntimeException e) {
      return now(RespErrors.of(e));
    }
  }

  private Outcome authenticated(RespSession s, String name, List<byte[]> args) {
    if (s.multi != null && !TXN_CONTROL.contains(name)) {
      return txn.queue(s, name, args);
    }
    return switch (name) {
      case "MULTI" -> txn.multi(s, args);
      case "EXEC" -> txn.exec(s, args);
      case "DISCARD" -> txn.discard(s, args);
      case "WATCH" -> txn.watch(s, args);
      case "UNWATCH" -> txn.unwatch(s, args);
      case "PING" -> now(ping(args));
      case "ECHO" -> {
        arity(args, 2, 2, name);
        yield now(new RespValue.Bulk(args.get(1)));
      }
      case "SELECT" -> now(select(args));
      case "CLIENT" -> now(client(s, args));
      case "GET" -> data.get(args);
      case "SET" -> data.set(args);
      case "SETEX" -> data.setex(args, false);
      case "PSETEX" -> data.setex(args, true);
      case "EXPIRE" -> data.ttl().expire(args, true, false);
      case "PEXPIRE" -> data.ttl().expire(args, false, false);
      case "EXPIREAT" -> data.ttl().expire(args, true, true);
      case "PEXPIREAT" -> data.ttl().expire(args, false, true);
      case "TTL" -> data.ttl().ttl(args, false, false);
      case "PTTL" -> data.ttl().ttl(args, true, false);
      case "EXPIRETIME" -> data.ttl().ttl(args, false, true);
      case "PEXPIRETIME" -> data.ttl().ttl(args, true, true);
      case "PERSIST" -> data.ttl().persist(args);
      case "GETEX" -> data.ttl().getex(args);
      case "DEL", "UNLINK" -> data.del(args);
      case "EXISTS" -> data.exists(args);
      case "MGET" -> data.mget(args);
      case "MSET" -> data.mset(args);
      case "INCR" -> data.incrBy(args, 1, false);
      case "DECR" -> data.incrBy(args, -1, false);
      case "INCRBY" -> data.incrBy(args, 1, true);
      case "DECRBY" -> data.incrBy(args, -1, true);
      case "TYPE" -> data.type(args);
      case "SCAN" -> data.scan(args);
      default -> now(unknown(name, args));
    };
  }

  /** Answered at once inside MULTI rather than queued, as in Redis. */
  private static final java.util.Set<String> TXN_CONTROL = java.util.Set.of("MULTI", "EXEC", "DISCARD", "WATCH");

  private static final java.util.Set<String> KNOWN = java.util.Set.of("AUTH", "HELLO", "QUIT", "PING", "ECHO", "SELECT",
      "CLIENT", "GET", "SET", "DEL", "UNLINK", "EXISTS", "MGET", "MSET", "INCR", "DECR", "INCRBY", "DECRBY", "TYPE",
      "SCAN", "SETEX", "PSETEX", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "TTL", "PTTL", "EXPIRETIME",
      "PEXPIRETIME", "PERSIST", "GETEX", "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH");

  static boolean isKnown(String upperName) {
    return KNOWN.contains(upperName);
  }

  /** The name a command is counted under in the metrics: a known command's, else "other". */
  static String metricName(byte[] name) {
    String n = upper(name);
    return KNOWN.contains(n) ? n.toLowerCase(Locale.ROOT) : "other";
  }

  static Now now(RespValue v) {
    return new Now(v, false);
  }

  static void arity(List<byte[]> args, int min, int max, String name) {
    if (args.size() < min || (max >= 0 && args.size() > max)) {
      throw RespException.arity(name);
    }
  }

  private RespValue auth(RespSession s, List<byte[]> args) {
    arity(args, 2, 3, "AUTH");
    // AUTH <token> or AUTH <user> <token>: the user name is not checked, the token is the credential.
    return check(s, args.get(args.size() - 1)) ? RespValue.OK : wrongPass();
  }

  private boolean check(RespSession s, byte[] token) {
    boolean ok = tokens.get().roleOf(new String(token, StandardCharsets.UTF_8)) != TokenSet.Role.NONE;
    if (ok) {
      s.authenticated = true;
    }
    return ok;
  }

  private static RespValue wrongPass() {
    return new RespValue.Error("WRONGPASS invalid username-password pair or user is disabled.");
  }

  private RespValue hello(RespSession s, List<byte[]> args) {
    int protocol = s.protocol;
    if (args.size() >= 2) {
      long v = RespArgs.integer(args.get(1), "Protocol version is not an integer or out of range");
      if (v != 2 && v != 3) {
        return new RespValue.Error("NOPROTO unsupported protocol version");
      }
      protocol = (int) v;
    }
    byte[] token = null;
    String name = null;
    for (int i = 2; i < args.size(); i++) {
      String opt = upper(args.get(i));
      if (opt.equals("AUTH") && i + 2 < args.size()) {
        token = args.get(i + 2);
        i += 2;
      } else if (opt.equals("SETNAME") && i + 1 < args.size()) {
        name = clientName(args.get(i + 1));
        i += 1;
      } else {
        throw RespException.err("Syntax error in HELLO option '" + RespArgs.shown(args.get(i)) + "'");
      }
    }
    if (token != null && !check(s, token)) {
      return wrongPass();
    }
    if (!s.authenticated) {
      return new RespValue.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the"
          + " HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP"
          + " protocol version at the same time");
    }
    s.protocol = protocol;
    if (name != null) {
      s.name = name.isEmpty() ? null : name;
    }
    return new RespValue.MapValue(List.of(
        RespValue.bulk("server"), RespValue.bulk("kvpipe"),
        RespValue.bulk("version"), RespValue.bulk(REDIS_COMPAT_VERSION),
        RespValue.bulk("proto"), new RespValue.Int(protocol),
        RespValue.bulk("id"), new RespValue.Int(s.id),
        RespValue.bulk("mode"), RespValue.bulk("standalone"),
        RespValue.bulk("role"), RespValue.bulk("master"),
        RespValue.bulk("modules"), new RespValue.Array(List.of())));
  }

  private static RespValue ping(List<byte[]> args) {
    arity(args, 1, 2, "PING");
    return args.size() == 2 ? new RespValue.Bulk(args.get(1)) : new RespValue.Simple("PONG");
  }

  private static RespValue select(List<byte[]> args) {
    arity(args, 2, 2, "SELECT");
    long db = RespArgs.integer(args.get(1), "value is not an integer or out of range");
    return db == 0 ? RespValue.OK : new RespValue.Error("ERR DB index is out of range (kvpipe has database 0 only)");
  }

  private static RespValue client(RespSession s, List<byte[]> args) {
    arity(args, 2, -1, "CLIENT");
    String sub = upper(args.get(1));
    switch (sub) {
      case "SETNAME" -> {
        arity(args, 3, 3, "CLIENT|SETNAME");
        String name = clientName(args.get(2));
        s.name = name.isEmpty() ? null : name;
        return RespValue.OK;
      }
      case "GETNAME" -> {
        arity(args, 2, 2, "CLIENT|GETNAME");
        return s.name == null ? RespValue.NULL : RespValue.bulk(s.name);
      }
      case "ID" -> {
        arity(args, 2, 2, "CLIENT|ID");
        return new RespValue.Int(s.id);
      }
      case "SETINFO" -> {
        // Client libraries announce themselves (lib-name, lib-ver) right after connecting; nothing is kept.
        arity(args, 4, 4, "CLIENT|SETINFO");
        return RespValue.OK;
      }
      default -> {
        return new RespValue.Error("ERR unknown subcommand '" + RespArgs.shown(args.get(1))
            + "'. kvpipe supports CLIENT SETNAME, GETNAME, ID and SETINFO");
      }
    }
  }

  /** Redis's rule: no spaces, newlines or other characters outside '!'..'~'. */
  private static String clientName(byte[] raw) {
    for (byte b : raw) {
      if (b < '!' || b > '~') {
        throw RespException.err("Client names cannot contain spaces, newlines or special characters.");
      }
    }
    return new String(raw, StandardCharsets.US_ASCII);
  }

  static RespException unknownCommand(List<byte[]> args) {
    return new RespException(((RespValue.Error) unknown(upper(args.get(0)), args)).text());
  }

  private static RespValue unknown(String name, List<byte[]> args) {
    List<String> shown = new ArrayList<>();
    for (int i = 1; i < args.size() && i <= 3; i++) {
      shown.add("'" + RespArgs.shown(args.get(i)) + "'");
    }
    return new RespValue.Error("ERR unknown command '" + RespArgs.shown(args.get(0)) + "', with args beginning with: "
        + String.join(" ", shown));
  }

  static String upper(byte[] arg) {
    return new String(arg, StandardCharsets.UTF_8).toUpperCase(Locale.ROOT);
  }
}
