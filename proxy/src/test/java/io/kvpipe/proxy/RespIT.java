package io.kvpipe.proxy;

import static io.kvpipe.proxy.ProxyTestCluster.ADMIN_TOKEN;
import static io.kvpipe.proxy.ProxyTestCluster.DATA_TOKEN;
import static io.kvpipe.proxy.ProxyTestCluster.req;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.tls.TestTls;
import java.io.IOException;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.args.ExpiryOption;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.GetExParams;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The Redis protocol on a real proxy over real Ratis groups (three kv-node processes, groups g1 and g2), driven by
 * Jedis from Maven Central, by raw bytes (malformed input), and by Debian's redis-cli when it is installed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RespIT {
  static final int MAX_VALUE = 64 * 1024;

  @TempDir
  static Path dir;
  ProxyTestCluster cluster;
  ProxyServer proxy;
  int port;

  @BeforeAll
  void start() throws Exception {
    cluster = new ProxyTestCluster(dir);
    proxy = cluster.startProxy(cluster.config(MAX_VALUE, java.time.Duration.ofMillis(100), "--resp-port", "0"));
    port = proxy.respPort();
    assertThat(port).isPositive();
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  Jedis jedis(String token, RedisProtocol protocol) {
    return new Jedis(new HostAndPort("127.0.0.1", port), DefaultJedisClientConfig.builder().password(token)
        .protocol(protocol).socketTimeoutMillis(120_000).build());
  }

  Jedis jedis() {
    return jedis(DATA_TOKEN, RedisProtocol.RESP2);
  }

  static ProtocolCommand cmd(String name) {
    return () -> name.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void nothingWithoutTheTokenAndAWrongTokenIsRefused() throws Exception {
    try (RawResp c = new RawResp(port)) {
      assertThat(c.command("PING").reply()).startsWith("-NOAUTH");
      assertThat(c.command("GET", "k").reply()).startsWith("-NOAUTH");
      assertThat(c.command("AUTH", "not-the-token").reply()).startsWith("-WRONGPASS");
      assertThat(c.command("HELLO", "3").reply()).startsWith("-NOAUTH");
      assertThat(c.command("SET", "k", "v").reply()).startsWith("-NOAUTH");
      // Before AUTH a command is small: a large one is refused without being buffered, the connection goes on.
      assertThat(c.command("AUTH", "x".repeat(5000)).reply()).startsWith("-ERR").contains("limit is 1024");
      assertThat(c.command("AUTH", "default", DATA_TOKEN).reply()).isEqualTo("+OK");
      assertThat(c.command("PING").reply()).isEqualTo("+PONG");
    }
    assertThatThrownBy(() -> {
      try (Jedis j = jedis("wrong-token-123", RedisProtocol.RESP2)) {
        j.ping();
      }
    }).hasMessageContaining("WRONGPASS");
    try (Jedis admin = jedis(ADMIN_TOKEN, RedisProtocol.RESP2)) {
      assertThat(admin.ping()).isEqualTo("PONG");
    }
    // Nothing was written by the refused SET.
    try (Jedis j = jedis()) {
      assertThat(j.exists("k")).isFalse();
    }
  }

  @Test
  void stringCommandsBehaveAsRedisDoes() {
    try (Jedis j = jedis()) {
      assertThat(j.set("s:a", "1")).isEqualTo("OK");
      assertThat(j.get("s:a")).isEqualTo("1");
      assertThat(j.get("s:missing")).isNull();
      assertThat(j.set("s:a", "2", SetParams.setParams().nx())).isNull();
      assertThat(j.set("s:b", "1", SetParams.setParams().nx())).isEqualTo("OK");
      assertThat(j.set("s:c", "1", SetParams.setParams().xx())).isNull();
      assertThat(j.exists("s:c")).isFalse();
      assertThat(j.set("s:a", "3", SetParams.setParams().xx())).isEqualTo("OK");
      assertThat(j.setGet("s:a", "4")).isEqualTo("3");
      assertThat(j.setGet("s:a", "5", SetParams.setParams().nx())).isEqualTo("4");
      assertThat(j.get("s:a")).isEqualTo("4");
      assertThat(j.mset("s:m1", "x", "s:m2", "y")).isEqualTo("OK");
      assertThat(j.mget("s:m1", "s:nope", "s:m2")).containsExactly("x", null, "y");
      assertThat(j.exists("s:m1", "s:m2", "s:nope", "s:m1")).isEqualTo(3);
      assertThat(j.type("s:m1")).isEqualTo("string");
      assertThat(j.type("s:nope")).isEqualTo("none");
      assertThat(j.del("s:m1", "s:m2", "s:nope")).isEqualTo(2);
      assertThat(j.get("s:m1")).isNull();
      assertThat(j.incr("s:n")).isEqualTo(1);
      assertThat(j.incrBy("s:n", 41)).isEqualTo(42);
      assertThat(j.decr("s:n")).isEqualTo(41);
      assertThat(j.decrBy("s:n", 50)).isEqualTo(-9);
      assertThat(j.get("s:n")).isEqualTo("-9");
      assertThat(j.incr("s:a4")).isEqualTo(1); // an absent key counts from 0
      assertThat(j.get("s:a4")).isEqualTo("1");
      j.set("s:text", "abc");
      assertThatThrownBy(() -> j.incr("s:text")).isInstanceOf(JedisDataException.class)
          .hasMessage("ERR value is not an integer or out of range");
      j.set("s:max", Long.toString(Long.MAX_VALUE));
      assertThatThrownBy(() -> j.incr("s:max")).hasMessageContaining("overflow");
      assertThat(j.get("s:max")).isEqualTo(Long.toString(Long.MAX_VALUE));
      assertThat(j.ping()).isEqualTo("PONG");
      assertThat(j.echo("hi")).isEqualTo("hi");
      assertThat(j.select(0)).isEqualTo("OK");
      assertThatThrownBy(() -> j.select(1)).hasMessageContaining("DB index is out of range");
      assertThat(j.clientSetname("worker-1")).isEqualTo("OK");
      assertThat(j.clientGetname()).isEqualTo("worker-1");
    }
    String metrics = new String(cluster.send(req(proxy, "/metrics", null).GET()).body(), StandardCharsets.UTF_8);
    assertThat(metrics).contains("kvpipe_proxy_resp_commands_seconds_count{command=\"set\",outcome=\"ok\"}")
        .contains("kvpipe_proxy_resp_commands_seconds_count{command=\"incr\",outcome=\"error\"}");
  }

  @Test
  void wrongArgumentsUnknownAndNotYetSupportedCommandsAreClearErrors() {
    try (Jedis j = jedis()) {
      assertThatThrownBy(() -> j.sendCommand(cmd("GET"))).hasMessage("ERR wrong number of arguments for 'get' command");
      assertThatThrownBy(() -> j.sendCommand(cmd("SET"), "k")).hasMessage(
          "ERR wrong number of arguments for 'set' command");
      assertThatThrownBy(() -> j.sendCommand(cmd("MSET"), "a", "1", "b")).hasMessage(
          "ERR wrong number of arguments for 'mset' command");
      assertThatThrownBy(() -> j.sendCommand(cmd("SET"), "k", "v", "NX", "XX")).hasMessage("ERR syntax error");
      assertThatThrownBy(() -> j.sendCommand(cmd("FLUSHALL"), "ASYNC")).hasMessage(
          "ERR unknown command 'FLUSHALL', with args beginning with: 'ASYNC'");
      // The HTTP API's checks: a key over 512 bytes, a value over --max-value-bytes.
      assertThatThrownBy(() -> j.set("k".repeat(513), "v")).hasMessageStartingWith("ERR invalid key: key is 513 bytes");
      assertThatThrownBy(() -> j.set("big", "v".repeat(MAX_VALUE + 1))).hasMessageContaining("limit is " + MAX_VALUE);
      assertThat(j.exists("k", "big")).isZero();
      assertThat(j.ping()).isEqualTo("PONG"); // the connection survived every refusal
    }
  }

  @Test
  void malformedInputGetsAnErrorAndAClosedConnectionWhereTheStreamIsLost() throws Exception {
    try (RawResp c = new RawResp(port)) {
      c.command("AUTH", DATA_TOKEN).reply();
      // Oversized but well-formed: refused, read past, the next command works.
      String big = "v".repeat(MAX_VALUE + 10);
      assertThat(c.command("SET", "raw:big", big).reply()).startsWith("-ERR an argument is " + (MAX_VALUE + 10));
      assertThat(c.send("PING\r\n").reply()).isEqualTo("+PONG"); // inline
      // Not RESP: one error, then the server closes.
      assertThat(c.send("*1\r\n$x\r\n").reply()).isEqualTo("-ERR Protocol error: invalid bulk length");
      assertThat(c.reply()).isNull();
    }
    try (RawResp c = new RawResp(port)) {
      c.command("AUTH", DATA_TOKEN).reply();
      assertThat(c.send("*2\r\n+GET\r\n").reply()).startsWith("-ERR Protocol error: expected '$'");
      assertThat(c.reply()).isNull();
    }
    try (RawResp c = new RawResp(port)) {
      c.command("AUTH", DATA_TOKEN).reply();
      c.send("*1\r\n$999999999999\r\n");
      assertThat(c.reply()).isEqualTo("-ERR Protocol error: invalid bulk length");
      assertThat(c.reply()).isNull();
    }
    try (RawResp c = new RawResp(port)) {
      c.command("AUTH", DATA_TOKEN).reply();
      assertThat(c.command("QUIT").reply()).isEqualTo("+OK");
      assertThat(c.reply()).isNull();
    }
    try (Jedis j = jedis()) {
      assertThat(j.exists("raw:big")).isFalse();
    }
  }

  @Test
  void pipelinedCommandsRunTogetherAndReplyInOrder() {
    try (Jedis j = jedis()) {
      Pipeline p = j.pipelined();
      List<Response<String>> sets = new ArrayList<>();
      List<Response<Long>> incrs = new ArrayList<>();
      List<Response<String>> gets = new ArrayList<>();
      // The INCRs of one key run one after the other (a read and a write each), so there are fewer of them: on a
      // loaded box 1000 in a row outlasted the client's read timeout.
      for (int i = 0; i < 1000; i++) {
        sets.add(p.set("p:" + i, "v" + i));
        if (i % 10 == 0) {
          incrs.add(p.incr("p:counter"));
        }
        gets.add(p.get("p:" + i));
      }
      p.sync();
      for (int i = 0; i < 1000; i++) {
        assertThat(sets.get(i).get()).isEqualTo("OK");
        // Per key, a pipeline runs in order: each GET sees the SET before it, each INCR the one before it.
        assertThat(gets.get(i).get()).isEqualTo("v" + i);
      }
      for (int i = 0; i < incrs.size(); i++) {
        assertThat(incrs.get(i).get()).isEqualTo(i + 1);
      }
      assertThat(j.get("p:counter")).isEqualTo("100");
    }
  }

  @Test
  void aSetIsAnOrdinaryVersionedWriteSeenThroughHttp() throws Exception {
    try (Jedis j = jedis()) {
      assertThat(j.set("both/k", "from-resp")).isEqualTo("OK");
      HttpResponse<byte[]> r = cluster.send(req(proxy, "/v1/kv/both/k", DATA_TOKEN).GET());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("from-resp");
      long v1 = Long.parseLong(r.headers().firstValue("X-Kv-Version").orElseThrow());
      assertThat(v1).isPositive();
      // A conditional HTTP put on the version the RESP write got succeeds: it is the key's current version.
      HttpResponse<byte[]> put = cluster.send(req(proxy, "/v1/kv/both/k", DATA_TOKEN)
          .header("If-Match", Long.toString(v1)).PUT(BodyPublishers.ofString("from-http")));
      assertThat(put.statusCode()).as(new String(put.body())).isEqualTo(200);
      long v2 = Long.parseLong(put.headers().firstValue("X-Kv-Version").orElseThrow());
      assertThat(v2).isGreaterThan(v1);
      assertThat(j.get("both/k")).isEqualTo("from-http");
      assertThat(j.incr("both/n")).isEqualTo(1);
      HttpResponse<byte[]> n = cluster.send(req(proxy, "/v1/kv/both/n", DATA_TOKEN).GET());
      assertThat(new String(n.body(), StandardCharsets.UTF_8)).isEqualTo("1");
      assertThat(j.del("both/k")).isEqualTo(1);
      assertThat(cluster.send(req(proxy, "/v1/kv/both/k", DATA_TOKEN).GET()).statusCode()).isEqualTo(404);
    }
  }

  @Test
  void resp3ThroughHelloWorks() {
    try (Jedis j = jedis(DATA_TOKEN, RedisProtocol.RESP3)) {
      assertThat(j.set("r3:a", "x")).isEqualTo("OK");
      assertThat(j.get("r3:a")).isEqualTo("x");
      assertThat(j.get("r3:none")).isNull();
      assertThat(j.mget("r3:a", "r3:none")).containsExactly("x", null);
    }
  }

  Set<String> writeScanKeys(String prefix, int n) {
    Set<String> expected = new TreeSet<>();
    try (Jedis j = jedis()) {
      List<String> kv = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String k = prefix + String.format("%04d", i);
        expected.add(k);
        kv.add(k);
        kv.add("v");
        if (kv.size() == 200) {
          assertThat(j.mset(kv.toArray(String[]::new))).isEqualTo("OK");
          kv.clear();
        }
      }
      if (!kv.isEmpty()) {
        j.mset(kv.toArray(String[]::new));
      }
      j.mset(prefix.substring(0, prefix.length() - 1) + ".", "outside", prefix.substring(0, prefix.length() - 1)
          + "0", "outside");
    }
    return expected;
  }

  @Test
  void scanPagesThroughEveryGroupWithNoKeyMissedOrTwice() {
    Set<String> expected = writeScanKeys("scan:", 500);
    Set<String> groups = new HashSet<>();
    expected.forEach(k -> groups.add(proxy.watcher().current().groupFor(k.getBytes(StandardCharsets.UTF_8))));
    assertThat(groups).as("the keys live in both groups").hasSize(2);
    try (Jedis j = jedis()) {
      List<String> seen = new ArrayList<>();
      String cursor = "0";
      int pages = 0;
      do {
        ScanResult<String> page = j.scan(cursor, new ScanParams().match("scan:*").count(37));
        assertThat(page.getResult().size()).isLessThanOrEqualTo(37);
        seen.addAll(page.getResult());
        cursor = page.getCursor();
        pages++;
        assertThat(pages).isLessThan(1000);
      } while (!cursor.equals("0"));
      assertThat(seen).doesNotHaveDuplicates();
      assertThat(new TreeSet<>(seen)).isEqualTo(expected);
      assertThat(seen).isSorted();
      assertThat(pages).isGreaterThanOrEqualTo(500 / 37);
      assertThat(j.scan("0", new ScanParams().match("scan:0007")).getResult()).containsExactly("scan:0007");
      assertThatThrownBy(() -> j.scan("12345", new ScanParams())).hasMessageStartingWith("ERR invalid cursor");
      assertThatThrownBy(() -> j.scan("0", new ScanParams().match("s?an*"))).hasMessageContaining("MATCH");
    }
  }

  @Test
  void ttlAndPttlShowWhatSetAndExpireGave() {
    try (Jedis j = jedis()) {
      long before = System.currentTimeMillis();
      assertThat(j.set("t:a", "v", SetParams.setParams().ex(100))).isEqualTo("OK");
      assertThat(j.ttl("t:a")).isBetween(90L, 100L);
      assertThat(j.pttl("t:a")).isBetween(90_000L, 100_000L);
      long deadline = j.pexpireTime("t:a");
      assertThat(deadline).isBetween(before + 95_000, System.currentTimeMillis() + 100_000);
      assertThat(j.expireTime("t:a")).isBetween(deadline / 1000, deadline / 1000 + 1);
      assertThat(j.ttl("t:missing")).isEqualTo(-2);
      assertThat(j.pttl("t:missing")).isEqualTo(-2);
      assertThat(j.expireTime("t:missing")).isEqualTo(-2);
      assertThat(j.set("t:plain", "p")).isEqualTo("OK");
      assertThat(j.ttl("t:plain")).isEqualTo(-1);
      assertThat(j.pexpireTime("t:plain")).isEqualTo(-1);
      // A SET without TTL removes the TTL, as in Redis.
      assertThat(j.set("t:a", "v2")).isEqualTo("OK");
      assertThat(j.ttl("t:a")).isEqualTo(-1);
      assertThat(j.set("t:px", "v", SetParams.setParams().px(100_000))).isEqualTo("OK");
      assertThat(j.pttl("t:px")).isBetween(90_000L, 100_000L);
      long at = System.currentTimeMillis() / 1000 + 200;
      assertThat(j.set("t:exat", "v", SetParams.setParams().exAt(at))).isEqualTo("OK");
      assertThat(j.expireTime("t:exat")).isBetween(at - 2, at + 2); // by this proxy's clock: same machine here
      assertThat(j.setex("t:setex", 100, "s")).isEqualTo("OK");
      assertThat(j.ttl("t:setex")).isBetween(90L, 100L);
      assertThat(j.get("t:setex")).isEqualTo("s");
      assertThat(j.psetex("t:psetex", 100_000, "s")).isEqualTo("OK");
      assertThat(j.pttl("t:psetex")).isBetween(90_000L, 100_000L);
      // INCR and its kin change the value and keep the TTL, as in Redis.
      assertThat(j.setex("t:n", 100, "1")).isEqualTo("OK");
      assertThat(j.incrBy("t:n", 2)).isEqualTo(3);
      assertThat(j.ttl("t:n")).isBetween(90L, 100L);
    }
  }

  @Test
  void expireOptionsPersistGetexAndKeepttlAsRedis() {
    try (Jedis j = jedis()) {
      j.set("e:k", "v");
      assertThat(j.expire("e:k", 50)).isEqualTo(1);
      assertThat(j.ttl("e:k")).isBetween(45L, 50L);
      assertThat(j.expire("e:missing", 50)).isZero();
      assertThat(j.exists("e:missing")).isFalse();
      assertThat(j.expire("e:k", 10, ExpiryOption.NX)).isZero();
      assertThat(j.expire("e:k", 10, ExpiryOption.GT)).isZero();
      assertThat(j.ttl("e:k")).isBetween(45L, 50L);
      assertThat(j.expire("e:k", 200, ExpiryOption.GT)).isEqualTo(1);
      assertThat(j.ttl("e:k")).isBetween(190L, 200L);
      assertThat(j.pexpire("e:k", 30_000, ExpiryOption.LT)).isEqualTo(1);
      assertThat(j.ttl("e:k")).isBetween(25L, 30L);
      assertThat(j.expire("e:k", 40, ExpiryOption.XX)).isEqualTo(1);
      assertThat(j.persist("e:k")).isEqualTo(1);
      assertThat(j.ttl("e:k")).isEqualTo(-1);
      assertThat(j.persist("e:k")).isZero();
      assertThat(j.persist("e:missing")).isZero();
      assertThat(j.expire("e:k", 40, ExpiryOption.XX)).isZero();
      assertThat(j.expire("e:k", 40, ExpiryOption.GT)).isZero(); // no TTL is infinite
      assertThat(j.expire("e:k", 40, ExpiryOption.NX)).isEqualTo(1);
      assertThat(j.expireAt("e:k", System.currentTimeMillis() / 1000 + 300)).isEqualTo(1);
      assertThat(j.ttl("e:k")).isBetween(295L, 301L);
      assertThat(j.get("e:k")).isEqualTo("v"); // the value survives every TTL change

      // KEEPTTL keeps the deadline the key had (to within the time to read and write).
      j.set("e:keep", "1", SetParams.setParams().px(100_000));
      long deadline = j.pexpireTime("e:keep");
      assertThat(j.set("e:keep", "2", SetParams.setParams().keepTtl())).isEqualTo("OK");
      assertThat(j.get("e:keep")).isEqualTo("2");
      assertThat(j.pexpireTime("e:keep")).isBetween(deadline - 1000, deadline + 5000);
      assertThat(j.setGet("e:keep", "3", SetParams.setParams().keepTtl().xx())).isEqualTo("2");
      assertThat(j.ttl("e:keep")).isBetween(90L, 100L);
      assertThat(j.set("e:keep-none", "1")).isEqualTo("OK");
      assertThat(j.set("e:keep-none", "2", SetParams.setParams().keepTtl())).isEqualTo("OK");
      assertThat(j.ttl("e:keep-none")).isEqualTo(-1);
      assertThat(j.set("e:keep-new", "1", SetParams.setParams().keepTtl().nx())).isEqualTo("OK");
      assertThat(j.ttl("e:keep-new")).isEqualTo(-1);

      j.set("e:g", "gv");
      assertThat(j.getEx("e:g", GetExParams.getExParams().ex(100))).isEqualTo("gv");
      assertThat(j.ttl("e:g")).isBetween(90L, 100L);
      assertThat(j.getEx("e:g", GetExParams.getExParams().persist())).isEqualTo("gv");
      assertThat(j.ttl("e:g")).isEqualTo(-1);
      assertThat(j.getEx("e:g", GetExParams.getExParams())).isEqualTo("gv");
      assertThat(j.getEx("e:missing", GetExParams.getExParams().ex(5))).isNull();
      assertThat(j.exists("e:missing")).isFalse();
    }
  }

  @Test
  void aTimeInThePastDeletesTheKeyAsRedisDoes() {
    try (Jedis j = jedis()) {
      j.set("p:1", "v");
      assertThat(j.expire("p:1", -1)).isEqualTo(1);
      assertThat(j.exists("p:1")).isFalse();
      assertThat(j.ttl("p:1")).isEqualTo(-2);
      j.set("p:2", "v");
      assertThat(j.pexpireAt("p:2", 1000)).isEqualTo(1);
      assertThat(j.get("p:2")).isNull();
      assertThat(j.expire("p:2", 0)).isZero(); // already gone
      j.set("p:3", "old");
      assertThat(j.setGet("p:3", "new", SetParams.setParams().pxAt(1000))).isEqualTo("old");
      assertThat(j.exists("p:3")).isFalse();
      assertThat(j.set("p:4", "v", SetParams.setParams().exAt(1))).isEqualTo("OK");
      assertThat(j.exists("p:4")).isFalse();
      j.set("p:5", "v5");
      assertThat(j.getEx("p:5", GetExParams.getExParams().pxAt(1000))).isEqualTo("v5");
      assertThat(j.exists("p:5")).isFalse();
      // A past time with a condition that fails changes nothing.
      j.set("p:6", "v6", SetParams.setParams().ex(100));
      assertThat(j.expire("p:6", -1, ExpiryOption.NX)).isZero();
      assertThat(j.get("p:6")).isEqualTo("v6");
    }
  }

  @Test
  void keysGoAtTheirDeadline() {
    try (Jedis j = jedis()) {
      j.set("x:set", "v", SetParams.setParams().px(1500));
      j.set("x:expire", "v");
      assertThat(j.pexpire("x:expire", 1500)).isEqualTo(1);
      j.setex("x:setex", 1, "v");
      j.set("x:kept", "v");
      j.set("x:persisted", "v", SetParams.setParams().px(1500));
      assertThat(j.persist("x:persisted")).isEqualTo(1);
      Poll.until("keys with a TTL gone", Duration.ofSeconds(30), () -> j.exists("x:set", "x:expire", "x:setex") == 0);
      assertThat(j.ttl("x:set")).isEqualTo(-2);
      assertThat(j.get("x:expire")).isNull();
      assertThat(j.get("x:kept")).isEqualTo("v");
      assertThat(j.get("x:persisted")).isEqualTo("v");
    }
  }

  @Test
  void badTtlArgumentsAreRedisErrorsAndChangeNothing() {
    try (Jedis j = jedis()) {
      j.set("b:k", "v", SetParams.setParams().ex(100));
      assertThatThrownBy(() -> j.sendCommand(cmd("SET"), "b:k", "w", "EX", "0"))
          .hasMessage("ERR invalid expire time in 'set' command");
      assertThatThrownBy(() -> j.sendCommand(cmd("SET"), "b:k", "w", "PX", "-5"))
          .hasMessage("ERR invalid expire time in 'set' command");
      assertThatThrownBy(() -> j.sendCommand(cmd("SET"), "b:k", "w", "EX", "soon"))
          .hasMessage("ERR value is not an integer or out of range");
      assertThatThrownBy(() -> j.sendCommand(cmd("SET"), "b:k", "w", "EX", "10", "KEEPTTL"))
          .hasMessage("ERR syntax error");
      assertThatThrownBy(() -> j.setex("b:k", 0, "w")).hasMessage("ERR invalid expire time in 'setex' command");
      assertThatThrownBy(() -> j.psetex("b:k", -1, "w")).hasMessage("ERR invalid expire time in 'psetex' command");
      assertThatThrownBy(() -> j.sendCommand(cmd("EXPIRE"), "b:k", "10", "NX", "XX"))
          .hasMessage("ERR NX and XX, GT or LT options at the same time are not compatible");
      assertThatThrownBy(() -> j.sendCommand(cmd("EXPIRE"), "b:k", "10", "GT", "LT"))
          .hasMessage("ERR GT and LT options at the same time are not compatible");
      assertThatThrownBy(() -> j.sendCommand(cmd("EXPIRE"), "b:k", "10", "SOON"))
          .hasMessage("ERR Unsupported option SOON");
      assertThatThrownBy(() -> j.sendCommand(cmd("EXPIRE"), "b:k", Long.toString(Long.MAX_VALUE)))
          .hasMessage("ERR invalid expire time in 'expire' command");
      // Within Redis's range but past kvpipe's ten-year cap: Redis's words, then why.
      assertThatThrownBy(() -> j.expire("b:k", 400L * 365 * 24 * 3600))
          .hasMessageStartingWith("ERR invalid expire time in 'expire' command (kvpipe keeps a key at most");
      assertThatThrownBy(() -> j.sendCommand(cmd("GETEX"), "b:k", "EX", "0"))
          .hasMessage("ERR invalid expire time in 'getex' command");
      assertThatThrownBy(() -> j.sendCommand(cmd("TTL"))).hasMessage("ERR wrong number of arguments for 'ttl' command");
      assertThat(j.get("b:k")).isEqualTo("v");
      assertThat(j.ttl("b:k")).isBetween(90L, 100L);
    }
  }

  @Test
  void multiExecRunsTheQueuedCommandsAsOneTransaction() {
    try (Jedis j = jedis()) {
      j.set("{acct}:b", "old");
      Transaction t = j.multi();
      Response<String> set = t.set("{acct}:a", "1");
      Response<String> get = t.get("{acct}:a");
      Response<Long> del = t.del("{acct}:b", "{acct}:none");
      Response<List<String>> mget = t.mget("{acct}:a", "{acct}:b");
      Response<String> mset = t.mset("{acct}:c", "3", "{acct}:d", "4");
      Response<Long> exists = t.exists("{acct}:a", "{acct}:b", "{acct}:c");
      Response<String> setGet = t.setGet("{acct}:e", "5");
      Response<Object> ping = t.sendCommand(cmd("ECHO"), "hi");
      Response<String> setex = t.setex("{acct}:t", 100, "x");
      List<Object> all = t.exec();
      assertThat(all).hasSize(9);
      assertThat(set.get()).isEqualTo("OK");
      assertThat(get.get()).isEqualTo("1"); // a read sees the transaction's own earlier write
      assertThat(del.get()).isEqualTo(1);
      assertThat(mget.get()).containsExactly("1", null);
      assertThat(mset.get()).isEqualTo("OK");
      assertThat(exists.get()).isEqualTo(2);
      assertThat(setGet.get()).isNull();
      assertThat(ping.get()).isEqualTo("hi".getBytes(StandardCharsets.UTF_8));
      assertThat(setex.get()).isEqualTo("OK");
      assertThat(j.mget("{acct}:a", "{acct}:b", "{acct}:c", "{acct}:d", "{acct}:e"))
          .containsExactly("1", null, "3", "4", "5");
      assertThat(j.ttl("{acct}:t")).isBetween(90L, 100L);
      // One transaction: every write has the same version (one log entry).
      Set<Long> versions = new HashSet<>();
      for (String k : List.of("{acct}:a", "{acct}:c", "{acct}:d", "{acct}:e")) {
        versions.add(versionOverHttp(k));
      }
      assertThat(versions).hasSize(1);

      Transaction d = j.multi();
      d.set("{acct}:a", "discarded");
      assertThat(d.discard()).isEqualTo("OK");
      assertThat(j.get("{acct}:a")).isEqualTo("1");
      assertThat(j.multi().exec()).isEmpty(); // nothing queued: an empty array, as in Redis
    }
  }

  long versionOverHttp(String key) {
    HttpResponse<byte[]> r = cluster.send(req(proxy, "/v1/kv/" + java.net.URLEncoder.encode(key,
        StandardCharsets.UTF_8), DATA_TOKEN).GET());
    assertThat(r.statusCode()).isEqualTo(200);
    return Long.parseLong(r.headers().firstValue("X-Kv-Version").orElseThrow());
  }

  @Test
  void watchedKeysChangedMeanExecDoesNothingAndAnswersNil() throws Exception {
    try (Jedis j = jedis(); Jedis other = jedis()) {
      j.set("{w}:k", "1");
      assertThat(j.watch("{w}:k", "{w}:absent")).isEqualTo("OK");
      other.set("{w}:k", "2");
      Transaction t = j.multi();
      t.set("{w}:k", "3");
      t.set("{w}:other", "x");
      assertThat(t.exec()).isNull();
      assertThat(j.get("{w}:k")).isEqualTo("2");
      assertThat(j.exists("{w}:other")).isFalse();

      // Unchanged since WATCH: applied. A key absent at WATCH and still absent counts as unchanged.
      j.watch("{w}:k", "{w}:absent");
      Transaction ok = j.multi();
      ok.expire("{w}:k", 10); // refused at queue time: EXEC aborts
      assertThatThrownBy(ok::exec).hasMessageContaining("EXECABORT Transaction discarded because of previous errors");
      j.watch("{w}:k", "{w}:absent");
      Transaction ok2 = j.multi();
      ok2.set("{w}:k", "4");
      assertThat(ok2.exec()).containsExactly("OK");
      assertThat(j.get("{w}:k")).isEqualTo("4");

      // A watched key that is created meanwhile fails the EXEC; UNWATCH forgets the watches.
      j.watch("{w}:absent");
      other.set("{w}:absent", "now");
      Transaction t2 = j.multi();
      t2.get("{w}:k");
      assertThat(t2.exec()).isNull();
      j.watch("{w}:k");
      other.set("{w}:k", "5");
      assertThat(j.unwatch()).isEqualTo("OK");
      Transaction t3 = j.multi();
      t3.get("{w}:k");
      assertThat(t3.exec()).containsExactly("5");
    }
    // On the wire, as Redis: a null array (*-1) in RESP2.
    try (RawResp c = new RawResp(port)) {
      assertThat(c.command("AUTH", DATA_TOKEN).reply()).isEqualTo("+OK");
      assertThat(c.command("SET", "{w}:raw", "1").reply()).isEqualTo("+OK");
      assertThat(c.command("WATCH", "{w}:raw").reply()).isEqualTo("+OK");
      try (Jedis other = jedis()) {
        other.set("{w}:raw", "2");
      }
      assertThat(c.command("MULTI").reply()).isEqualTo("+OK");
      assertThat(c.command("GET", "{w}:raw").reply()).isEqualTo("+QUEUED");
      assertThat(c.command("EXEC").reply()).isEqualTo("*nil");
    }
  }

  @Test
  void incrAndConditionalSetRunInsideMultiOnTheValueBeforeIt() throws Exception {
    try (Jedis j = jedis()) {
      j.set("{i}:n", "10", SetParams.setParams().ex(100));
      j.set("{i}:text", "abc");
      j.set("{i}:exists", "e");
      Transaction t = j.multi();
      Response<Long> incr = t.incrBy("{i}:n", 5);
      Response<Long> fresh = t.decr("{i}:fresh");
      Response<Long> bad = t.incr("{i}:text");
      Response<String> nx = t.set("{i}:exists", "no", SetParams.setParams().nx());
      Response<String> xx = t.set("{i}:absent", "no", SetParams.setParams().xx());
      Response<String> created = t.set("{i}:new", "yes", SetParams.setParams().nx());
      List<Object> all = t.exec();
      assertThat(all).hasSize(6);
      assertThat(incr.get()).isEqualTo(15);
      assertThat(fresh.get()).isEqualTo(-1);
      // As in Redis, a command failing at EXEC answers its error and the others still run.
      assertThat(all.get(2)).isInstanceOf(JedisDataException.class);
      assertThat(((JedisDataException) all.get(2)).getMessage()).isEqualTo(
          "ERR value is not an integer or out of range");
      assertThat(nx.get()).isNull();
      assertThat(xx.get()).isNull();
      assertThat(created.get()).isEqualTo("OK");
      assertThat(j.mget("{i}:n", "{i}:fresh", "{i}:text", "{i}:exists", "{i}:absent", "{i}:new"))
          .containsExactly("15", "-1", "abc", "e", null, "yes");
      assertThat(j.ttl("{i}:n")).isBetween(90L, 100L); // INCR keeps the TTL, as in Redis
    }
    // Concurrent MULTI/INCR on one key: a transaction whose read went stale is repeated, none is lost.
    int clients = 4;
    int each = 10;
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int c = 0; c < clients; c++) {
      threads.add(Thread.ofVirtual().start(() -> {
        try (Jedis j = jedis()) {
          for (int i = 0; i < each; i++) {
            Transaction t = j.multi();
            t.incr("{i}:counter");
            t.incr("{i}:other");
            assertThat(t.exec()).hasSize(2);
          }
        } catch (Throwable e) {
          failures.add(e);
        }
      }));
    }
    for (Thread th : threads) {
      th.join();
    }
    assertThat(failures).isEmpty();
    try (Jedis j = jedis()) {
      assertThat(j.mget("{i}:counter", "{i}:other")).containsExactly("40", "40");
      // WATCH with INCR: a change of the watched key still makes EXEC answer nil, with nothing applied.
      j.watch("{i}:counter");
      try (Jedis other = jedis()) {
        other.set("{i}:counter", "100");
      }
      Transaction t = j.multi();
      t.incr("{i}:counter");
      t.incr("{i}:other");
      assertThat(t.exec()).isNull();
      assertThat(j.mget("{i}:counter", "{i}:other")).containsExactly("100", "40");
    }
  }

  @Test
  void transactionErrorsAreRedisErrorsAndApplyNothing() throws Exception {
    try (RawResp c = new RawResp(port)) {
      assertThat(c.command("AUTH", DATA_TOKEN).reply()).isEqualTo("+OK");
      assertThat(c.command("EXEC").reply()).isEqualTo("-ERR EXEC without MULTI");
      assertThat(c.command("DISCARD").reply()).isEqualTo("-ERR DISCARD without MULTI");
      assertThat(c.command("MULTI").reply()).isEqualTo("+OK");
      assertThat(c.command("MULTI").reply()).isEqualTo("-ERR MULTI calls can not be nested");
      assertThat(c.command("WATCH", "x").reply()).isEqualTo("-ERR WATCH inside MULTI is not allowed");
      assertThat(c.command("SET", "{e}:a", "1").reply()).isEqualTo("+QUEUED");
      assertThat(c.command("EXEC").reply()).isEqualTo("[+OK]"); // those errors did not abort it, as in Redis
      // Queue-time errors abort the transaction at EXEC.
      for (List<String> bad : List.of(List.of("GET"), List.of("FOO", "x"), List.of("INCR", "{e}:a", "x"),
          List.of("SET", "{e}:a", "2", "NX", "XX"), List.of("EXPIRE", "{e}:a", "10"), List.of("SCAN", "0"))) {
        assertThat(c.command("MULTI").reply()).isEqualTo("+OK");
        assertThat(c.command("SET", "{e}:a", "changed").reply()).isEqualTo("+QUEUED");
        assertThat(c.command(bad.toArray(String[]::new)).reply()).as(bad.toString()).startsWith("-ERR");
        assertThat(c.command("EXEC").reply()).isEqualTo(
            "-EXECABORT Transaction discarded because of previous errors.");
      }
      assertThat(c.command("MULTI").reply()).isEqualTo("+OK");
      assertThat(c.command("PERSIST", "{e}:a").reply()).isEqualTo("-ERR 'PERSIST' cannot run inside MULTI in kvpipe:"
          + " a transaction takes GET, SET, SETEX, PSETEX, DEL, UNLINK, MGET, MSET, EXISTS, TYPE, INCR, DECR, INCRBY,"
          + " DECRBY, PING, ECHO, UNWATCH (docs/resp.md)");
      assertThat(c.command("DISCARD").reply()).isEqualTo("+OK");
      // A key written twice in one transaction is refused when queued (its writes would share one version).
      assertThat(c.command("MULTI").reply()).isEqualTo("+OK");
      assertThat(c.command("SET", "{e}:a", "x").reply()).isEqualTo("+QUEUED");
      assertThat(c.command("DEL", "{e}:a").reply()).startsWith("-ERR a kvpipe transaction writes each key at most"
          + " once; '{e}:a' is written twice");
      assertThat(c.command("EXEC").reply()).startsWith("-EXECABORT");
      assertThat(c.command("GET", "{e}:a").reply()).isEqualTo("$1");
      // Keys of several groups: refused whole, naming the groups; nothing applied.
      assertThat(c.command("MULTI").reply()).isEqualTo("+OK");
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        keys.add("cross-" + i);
        assertThat(c.command("SET", "cross-" + i, "v").reply()).isEqualTo("+QUEUED");
      }
      assertThat(c.command("EXEC").reply()).startsWith("-EXECABORT Transaction discarded: a transaction's keys must"
          + " all live in one shard group; these live in 2 groups: g1 (").contains("g2 (").contains("hash tag");
      List<String> exists = new ArrayList<>(List.of("EXISTS"));
      exists.addAll(keys);
      assertThat(c.command(exists.toArray(String[]::new)).reply()).isEqualTo(":0");
      assertThat(c.command("PING").reply()).isEqualTo("+PONG"); // out of MULTI again
    }
  }

  /** Debian's redis-cli (apt-get install redis-tools), when installed: a second, independent client. */
  @Test
  void redisCliWorksAgainstIt() throws Exception {
    Path cli = Path.of("/usr/bin/redis-cli");
    Assumptions.assumeTrue(Files.isExecutable(cli), "redis-cli is not installed (apt-get install -y redis-tools);"
        + " the redis-cli part is skipped");
    assertThat(cli(cli, "SET", "cli:a", "hello world")).isEqualTo("OK");
    assertThat(cli(cli, "GET", "cli:a")).isEqualTo("hello world");
    assertThat(cli(cli, "INCR", "cli:n")).isEqualTo("1");
    assertThat(cli(cli, "GET", "cli:none")).isEmpty();
    Set<String> expected = writeScanKeys("cli:scan/", 300);
    List<String> scanned = List.of(cli(cli, "--scan", "--pattern", "cli:scan/*").split("\n"));
    assertThat(scanned).doesNotHaveDuplicates();
    assertThat(new TreeSet<>(scanned)).isEqualTo(expected);
    assertThat(cli(cli, "-3", "GET", "cli:a")).isEqualTo("hello world"); // RESP3 via HELLO 3
    String refused = run(List.of(cli.toString(), "-p", Integer.toString(port), "-a", "bad-token-1",
        "--no-auth-warning", "GET", "cli:a"));
    assertThat(refused).contains("WRONGPASS");
    assertThat(cli(cli, "SET", "cli:t", "v", "EX", "100")).isEqualTo("OK");
    assertThat(Long.parseLong(cli(cli, "TTL", "cli:t"))).isBetween(90L, 100L);
    assertThat(cli(cli, "PERSIST", "cli:t")).isEqualTo("1");
    assertThat(cli(cli, "TTL", "cli:t")).isEqualTo("-1");
    assertThat(cli(cli, "TTL", "cli:none")).isEqualTo("-2");
    assertThat(cli(cli, "SET", "cli:t", "v", "EX", "0")).isEqualTo("ERR invalid expire time in 'set' command");
    // Commands from stdin share one connection: a transaction, answered as real Redis answers it.
    List<String> cmd = new ArrayList<>(List.of(cli.toString(), "-p", Integer.toString(port), "-a", DATA_TOKEN,
        "--no-auth-warning"));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try (var in = p.getOutputStream()) {
      in.write("MULTI\nSET {cli}:a 1\nINCRBY {cli}:n 5\nGET {cli}:a\nEXEC\n".getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(out.split("\n")).containsExactly("OK", "QUEUED", "QUEUED", "QUEUED", "OK", "5", "1");
  }

  @Test
  void withAnHttpsCertificateTheRedisPortSpeaksTlsWithItUnlessToldNotTo() throws Exception {
    TestTls.Files certs = TestTls.cluster();
    String[] https = {"--resp-port", "0", "--http-tls-cert", certs.cert().toString(), "--http-tls-key",
        certs.key().toString()};
    int tlsPort = cluster.startProxy(cluster.config(MAX_VALUE, Duration.ofMillis(100), https)).respPort();
    try (Jedis j = new Jedis(new HostAndPort("127.0.0.1", tlsPort), DefaultJedisClientConfig.builder().ssl(true)
        .sslSocketFactory(trusting(certs.ca()).getSocketFactory()).password(DATA_TOKEN)
        .socketTimeoutMillis(120_000).build())) {
      assertThat(j.set("tls:k", "over tls")).isEqualTo("OK");
      assertThat(j.get("tls:k")).isEqualTo("over tls");
    }
    // Plain bytes are no TLS handshake: no RESP answer, AUTH's token never read in clear.
    String answer;
    try (RawResp c = new RawResp(tlsPort)) {
      answer = c.command("AUTH", DATA_TOKEN).reply();
    } catch (IOException e) {
      answer = e.toString();
    }
    assertThat(answer).doesNotStartWith("+OK").doesNotStartWith("-");

    String[] optedOut = java.util.stream.Stream.concat(java.util.Arrays.stream(https),
        java.util.stream.Stream.of("--resp-insecure-plaintext", "true")).toArray(String[]::new);
    int plainPort = cluster.startProxy(cluster.config(MAX_VALUE, Duration.ofMillis(100), optedOut)).respPort();
    try (RawResp c = new RawResp(plainPort)) {
      assertThat(c.command("AUTH", DATA_TOKEN).reply()).isEqualTo("+OK");
      assertThat(c.command("GET", "tls:k").reply()).contains("over tls");
    }
  }

  /** A client-side TLS context that trusts the CA certificate in PEM file {@code ca}. */
  static SSLContext trusting(Path ca) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (var in = Files.newInputStream(ca)) {
      trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  String cli(Path cli, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(cli.toString(), "-p", Integer.toString(port), "-a", DATA_TOKEN,
        "--no-auth-warning"));
    cmd.addAll(List.of(args));
    return run(cmd);
  }

  static String run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new String(out, StandardCharsets.UTF_8).strip();
  }
}
