package io.kvpipe.proxy.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.proxy.http.TokenSet;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The connection commands and the refusals, which need no store (the data commands are covered by RespIT). */
class RespCommandsTest {
  final RespCommands commands = new RespCommands(() -> TokenSet.of(List.of("data-token-1"), List.of("admin-token-1")),
      null, new RespTransactions(null, 1024, () -> ExpiryTest.NOW));

  static List<byte[]> args(String... a) {
    List<byte[]> out = new ArrayList<>();
    for (String s : a) {
      out.add(s.getBytes(StandardCharsets.UTF_8));
    }
    return out;
  }

  RespValue run(RespSession s, String... a) {
    RespCommands.Outcome o = commands.prepare(s, args(a));
    assertThat(o).isInstanceOf(RespCommands.Now.class);
    return ((RespCommands.Now) o).reply();
  }

  static String text(RespValue v) {
    return switch (v) {
      case RespValue.Error e -> "-" + e.text();
      case RespValue.Simple s -> "+" + s.text();
      case RespValue.Int i -> ":" + i.value();
      case RespValue.Bulk b -> "$" + new String(b.bytes(), StandardCharsets.UTF_8);
      case RespValue.Null n -> "nil";
      default -> v.toString();
    };
  }

  @Test
  void onlyAuthHelloAndQuitBeforeAuthentication() {
    RespSession s = new RespSession(7);
    assertThat(text(run(s, "PING"))).startsWith("-NOAUTH");
    assertThat(text(run(s, "GET", "k"))).startsWith("-NOAUTH");
    assertThat(text(run(s, "EXPIRE", "k", "1"))).startsWith("-NOAUTH");
    assertThat(text(run(s, "AUTH", "wrong-token"))).startsWith("-WRONGPASS");
    assertThat(text(run(s, "HELLO", "3"))).startsWith("-NOAUTH HELLO must be called");
    assertThat(s.authenticated).isFalse();
    assertThat(s.protocol).isEqualTo(2);
    assertThat(text(run(s, "AUTH"))).isEqualTo("-ERR wrong number of arguments for 'auth' command");
    assertThat(text(run(s, "auth", "someone", "admin-token-1"))).isEqualTo("+OK");
    assertThat(s.authenticated).isTrue();
    assertThat(text(run(s, "PING"))).isEqualTo("+PONG");
  }

  @Test
  void helloAuthenticatesSwitchesProtocolAndNamesTheClient() {
    RespSession s = new RespSession(7);
    assertThat(text(run(s, "HELLO", "4", "AUTH", "default", "data-token-1"))).isEqualTo(
        "-NOPROTO unsupported protocol version");
    assertThat(s.authenticated).isFalse();
    RespValue hello = run(s, "HELLO", "3", "AUTH", "default", "data-token-1", "SETNAME", "app");
    assertThat(hello).isInstanceOf(RespValue.MapValue.class);
    assertThat(((RespValue.MapValue) hello).keysAndValues()).contains(new RespValue.Int(3), new RespValue.Int(7));
    assertThat(s.protocol).isEqualTo(3);
    assertThat(text(run(s, "CLIENT", "GETNAME"))).isEqualTo("$app");
    assertThat(text(run(s, "CLIENT", "SETNAME", "has space"))).startsWith("-ERR Client names cannot contain");
    assertThat(text(run(s, "HELLO", "3", "BOGUS"))).isEqualTo("-ERR Syntax error in HELLO option 'BOGUS'");
    assertThat(text(run(s, "QUIT"))).isEqualTo("+OK");
    assertThat(((RespCommands.Now) commands.prepare(s, args("QUIT"))).close()).isTrue();
  }

  @Test
  void unknownAndPendingCommandsAreRefusedClearly() {
    RespSession s = new RespSession(1);
    run(s, "AUTH", "data-token-1");
    assertThat(text(run(s, "FLUSHALL", "ASYNC"))).isEqualTo(
        "-ERR unknown command 'FLUSHALL', with args beginning with: 'ASYNC'");
    assertThat(text(run(s, "SELECT", "0"))).isEqualTo("+OK");
    assertThat(text(run(s, "SELECT", "1"))).startsWith("-ERR DB index is out of range");
    assertThat(text(run(s, "SELECT", "x"))).isEqualTo("-ERR value is not an integer or out of range");
    assertThat(text(run(s, "ECHO", "a", "b"))).isEqualTo("-ERR wrong number of arguments for 'echo' command");
    assertThat(text(run(s, "CLIENT", "KILL"))).startsWith("-ERR unknown subcommand 'KILL'");
    // Made-up command names share one metrics tag, so a client cannot create series.
    assertThat(RespCommands.metricName(args("sEt").get(0))).isEqualTo("set");
    assertThat(RespCommands.metricName(args("FLUSHALL").get(0))).isEqualTo("other");
    assertThat(RespCommands.metricName(args("X123").get(0))).isEqualTo("other");
  }

  @Test
  void multiQueuesRefusesAndDiscardsAsRedisDoes() {
    RespSession s = new RespSession(1);
    run(s, "AUTH", "data-token-1");
    assertThat(text(run(s, "EXEC"))).isEqualTo("-ERR EXEC without MULTI");
    assertThat(text(run(s, "DISCARD"))).isEqualTo("-ERR DISCARD without MULTI");
    assertThat(text(run(s, "MULTI"))).isEqualTo("+OK");
    assertThat(text(run(s, "MULTI"))).isEqualTo("-ERR MULTI calls can not be nested");
    assertThat(text(run(s, "WATCH", "k"))).isEqualTo("-ERR WATCH inside MULTI is not allowed");
    assertThat(text(run(s, "PING"))).isEqualTo("+QUEUED");
    assertThat(text(run(s, "ECHO", "x"))).isEqualTo("+QUEUED");
    assertThat(text(run(s, "UNWATCH"))).isEqualTo("+QUEUED");
    // Nothing queued touches a key: EXEC answers at once, without the store.
    RespValue all = run(s, "EXEC");
    assertThat(all).isInstanceOf(RespValue.Array.class);
    assertThat(((RespValue.Array) all).items().stream().map(RespCommandsTest::text)).containsExactly("+PONG", "$x",
        "+OK");
    assertThat(s.multi).isNull();

    run(s, "MULTI");
    assertThat(text(run(s, "SET", "k", "1"))).isEqualTo("+QUEUED");
    assertThat(text(run(s, "MSET", "j", "1", "k", "2"))).startsWith(
        "-ERR a kvpipe transaction writes each key at most once; 'k' is written twice");
    assertThat(text(run(s, "GET", "k"))).isEqualTo("+QUEUED"); // reads of a written key are fine
    assertThat(text(run(s, "EXEC"))).isEqualTo("-EXECABORT Transaction discarded because of previous errors.");

    run(s, "MULTI");
    assertThat(text(run(s, "SCAN", "0"))).startsWith("-ERR 'SCAN' cannot run inside MULTI in kvpipe");
    assertThat(text(run(s, "NOSUCH"))).startsWith("-ERR unknown command 'NOSUCH'");
    assertThat(text(run(s, "SET", "k", "v", "EX", "0"))).isEqualTo("-ERR invalid expire time in 'set' command");
    assertThat(text(run(s, "GET", "k".repeat(600)))).startsWith("-ERR invalid key");
    assertThat(text(run(s, "DISCARD"))).isEqualTo("+OK");
    assertThat(s.multi).isNull();

    // At most 128 reads and writes in one transaction.
    run(s, "MULTI");
    List<String> mget = new ArrayList<>(List.of("MGET"));
    for (int i = 0; i < 128; i++) {
      mget.add("k" + i);
    }
    assertThat(text(run(s, mget.toArray(String[]::new)))).isEqualTo("+QUEUED");
    assertThat(text(run(s, "GET", "one-more"))).startsWith("-ERR a kvpipe transaction holds at most 128");
    assertThat(text(run(s, "DISCARD"))).isEqualTo("+OK");
  }

  @Test
  void aPipelineWaitsOnlyForEarlierCommandsOnTheSameKeyOrABarrier() {
    PipelineOrder order = new PipelineOrder();
    byte[] a = "a".getBytes(StandardCharsets.UTF_8);
    byte[] b = "b".getBytes(StandardCharsets.UTF_8);
    CompletableFuture<Void> first = new CompletableFuture<>();
    assertThat(order.dependencies(List.of(a))).isNull();
    order.issued(List.of(a), first);
    assertThat(order.dependencies(List.of(b))).isNull();
    assertThat(order.dependencies(List.of(b, a))).isSameAs(first);
    CompletableFuture<?> barrierDeps = order.dependencies(null);
    assertThat(barrierDeps).isNotNull().isNotDone();
    CompletableFuture<Void> scan = new CompletableFuture<>();
    order.issued(null, scan);
    assertThat(order.dependencies(List.of(b))).isSameAs(scan);
    first.complete(null);
    scan.complete(null);
    assertThat(order.dependencies(List.of(a))).isNull();
    assertThat(order.dependencies(null)).isNull();
  }
}
