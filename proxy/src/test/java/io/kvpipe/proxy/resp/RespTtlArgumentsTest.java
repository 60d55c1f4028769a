package io.kvpipe.proxy.resp;

import static io.kvpipe.proxy.resp.RespCommandsTest.args;
import static io.kvpipe.proxy.resp.RespCommandsTest.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.proxy.http.TokenSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The TTL commands' arguments are checked when a command is prepared, before the store is called (no store here:
 * a command that got past its checks would reach for it). Replies as Redis words them.
 */
class RespTtlArgumentsTest {
  final RespCommands commands = new RespCommands(() -> TokenSet.of(List.of("t"), List.of("a")),
      new RespDataCommands(null, null, 1024, 1024, () -> ExpiryTest.NOW),
      new RespTransactions(null, 1024, () -> ExpiryTest.NOW));

  String run(String... a) {
    RespSession s = new RespSession(1);
    s.authenticated = true;
    RespCommands.Outcome o = commands.prepare(s, args(a));
    return o instanceof RespCommands.Now now ? text(now.reply()) : "call";
  }

  @Test
  void setExpiryOptions() {
    assertThat(run("SET", "k", "v", "EX", "10")).isEqualTo("call");
    assertThat(run("SET", "k", "v", "px", "10", "NX", "GET")).isEqualTo("call");
    assertThat(run("SET", "k", "v", "KEEPTTL", "XX")).isEqualTo("call");
    assertThat(run("SET", "k", "v", "EXAT", "1")).isEqualTo("call");
    assertThat(run("SET", "k", "v", "EX", "0")).isEqualTo("-ERR invalid expire time in 'set' command");
    assertThat(run("SET", "k", "v", "PX", "-1")).isEqualTo("-ERR invalid expire time in 'set' command");
    assertThat(run("SET", "k", "v", "EXAT", "0")).isEqualTo("-ERR invalid expire time in 'set' command");
    assertThat(run("SET", "k", "v", "EX", "ten")).isEqualTo("-ERR value is not an integer or out of range");
    assertThat(run("SET", "k", "v", "EX")).isEqualTo("-ERR syntax error");
    assertThat(run("SET", "k", "v", "EX", "10", "PX", "10")).isEqualTo("-ERR syntax error");
    assertThat(run("SET", "k", "v", "EX", "10", "KEEPTTL")).isEqualTo("-ERR syntax error");
    assertThat(run("SET", "k", "v", "KEEPTTL", "PXAT", "10")).isEqualTo("-ERR syntax error");
    // Syntax first, as in Redis: a bad time next to a bad option is a syntax error.
    assertThat(run("SET", "k", "v", "EX", "0", "NX", "XX")).isEqualTo("-ERR syntax error");
  }

  @Test
  void setexAndPsetex() {
    assertThat(run("SETEX", "k", "10", "v")).isEqualTo("call");
    assertThat(run("SETEX", "k", "0", "v")).isEqualTo("-ERR invalid expire time in 'setex' command");
    assertThat(run("PSETEX", "k", "-3", "v")).isEqualTo("-ERR invalid expire time in 'psetex' command");
    assertThat(run("SETEX", "k", "x", "v")).isEqualTo("-ERR value is not an integer or out of range");
    assertThat(run("SETEX", "k", "10")).isEqualTo("-ERR wrong number of arguments for 'setex' command");
  }

  @Test
  void expireFamily() {
    assertThat(run("EXPIRE", "k", "10")).isEqualTo("call");
    assertThat(run("EXPIRE", "k", "-10")).isEqualTo("call");
    assertThat(run("PEXPIREAT", "k", "1", "GT")).isEqualTo("call");
    assertThat(run("EXPIRE", "k")).isEqualTo("-ERR wrong number of arguments for 'expire' command");
    assertThat(run("EXPIRE", "k", "1.5")).isEqualTo("-ERR value is not an integer or out of range");
    assertThat(run("EXPIRE", "k", "10", "NX", "XX")).isEqualTo(
        "-ERR NX and XX, GT or LT options at the same time are not compatible");
    assertThat(run("PEXPIRE", "k", "10", "GT", "LT")).isEqualTo(
        "-ERR GT and LT options at the same time are not compatible");
    assertThat(run("EXPIREAT", "k", "10", "SOON")).isEqualTo("-ERR Unsupported option SOON");
    assertThat(run("EXPIRE", "k", Long.toString(Long.MAX_VALUE))).isEqualTo(
        "-ERR invalid expire time in 'expire' command");
  }

  @Test
  void readersPersistAndGetex() {
    for (String c : List.of("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST")) {
      assertThat(run(c, "k")).isEqualTo("call");
      assertThat(run(c, "k", "x")).isEqualTo("-ERR wrong number of arguments for '" + c.toLowerCase() + "' command");
    }
    assertThat(run("GETEX", "k")).isEqualTo("call");
    assertThat(run("GETEX", "k", "PERSIST")).isEqualTo("call");
    assertThat(run("GETEX", "k", "EX", "5")).isEqualTo("call");
    assertThat(run("GETEX", "k", "EX", "0")).isEqualTo("-ERR invalid expire time in 'getex' command");
    assertThat(run("GETEX", "k", "EX", "5", "PERSIST")).isEqualTo("-ERR syntax error");
    assertThat(run("GETEX", "k", "KEEPTTL")).isEqualTo("-ERR syntax error");
    assertThat(run("GETEX", "k", "PX")).isEqualTo("-ERR syntax error");
  }
}
