package io.kvpipe.proxy;

import static io.kvpipe.proxy.ProxyTestCluster.DATA_TOKEN;
import static io.kvpipe.proxy.ProxyTestCluster.json;
import static io.kvpipe.proxy.ProxyTestCluster.req;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvpipe.common.Ttl;
import io.kvpipe.common.wire.Request;
import io.kvpipe.proxy.kv.KeyTtl;
import io.kvpipe.testsupport.Poll;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** TTL through the HTTP API and the router's internal API (docs/ttl.md), on 3 kv-node processes and a proxy. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TtlIT {
  @TempDir
  static Path dir;
  ProxyTestCluster cluster;
  ProxyServer p;

  @BeforeAll
  void start() throws Exception {
    cluster = new ProxyTestCluster(dir);
    p = cluster.startProxy(cluster.config(64 * 1024));
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  HttpResponse<byte[]> put(String pathAndQuery, String value, String... headers) {
    var r = req(p, pathAndQuery, DATA_TOKEN);
    for (int i = 0; i < headers.length; i += 2) {
      r.header(headers[i], headers[i + 1]);
    }
    return cluster.send(r.PUT(BodyPublishers.ofString(value)));
  }

  HttpResponse<byte[]> get(String key) {
    return cluster.send(req(p, "/v1/kv/" + key, DATA_TOKEN).GET());
  }

  @Test
  void aKeyWithATtlNamesItsDeadlineAndIsGoneFromIt() {
    long before = System.currentTimeMillis();
    assertThat(put("/v1/kv/t-short?ttl=1500ms", "v").statusCode()).isEqualTo(201);
    HttpResponse<byte[]> r = get("t-short");
    assertThat(r.statusCode()).isEqualTo(200);
    long expiresAt = Long.parseLong(r.headers().firstValue("X-Kv-Expires-At").orElseThrow());
    long left = Long.parseLong(r.headers().firstValue("X-Kv-Ttl-Ms").orElseThrow());
    assertThat(expiresAt).isBetween(before + 1500, System.currentTimeMillis() + 1500);
    assertThat(left).isBetween(0L, 1500L);
    Poll.until("t-short gone", Duration.ofSeconds(30), () -> get("t-short").statusCode() == 404);
    assertThat(System.currentTimeMillis()).isGreaterThanOrEqualTo(expiresAt - 100);
    // Gone from every read: the batch get too.
    JsonNode batch = json(cluster.send(req(p, "/v1/kv:batchGet", DATA_TOKEN)
        .POST(BodyPublishers.ofString("{\"keys\":[\"t-short\"]}"))));
    assertThat(batch.get("items").get(0).get("found").asBoolean()).isFalse();
  }

  @Test
  void theHeaderWorksLikeTheParameterAndAPutWithoutTtlClearsIt() {
    assertThat(put("/v1/kv/t-header", "v", "X-Kv-Ttl", "10m").statusCode()).isEqualTo(201);
    assertThat(get("t-header").headers().firstValue("X-Kv-Ttl-Ms").map(Long::parseLong).orElseThrow())
        .isBetween(590_000L, 600_000L);
    assertThat(put("/v1/kv/t-header", "w").statusCode()).isEqualTo(200);
    HttpResponse<byte[]> r = get("t-header");
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("w");
    assertThat(r.headers().firstValue("X-Kv-Ttl-Ms")).isEmpty();
    assertThat(r.headers().firstValue("X-Kv-Expires-At")).isEmpty();
  }

  @Test
  void badTtlsAreRefusedWithA400AndWriteNothing() {
    List<String> bad = List.of("0", "0s", "-5s", "abc", "1.5s", "30x", "s", "", "99999999999999999999",
        "3650000d", "%20");
    for (String t : bad) {
      HttpResponse<byte[]> r = put("/v1/kv/t-bad?ttl=" + t, "v");
      assertThat(r.statusCode()).as("ttl=" + t + ": " + new String(r.body())).isEqualTo(400);
      assertThat(json(r).get("error").asText()).isEqualTo("MALFORMED_REQUEST");
      assertThat(json(r).get("message").asText()).contains("ttl");
    }
    assertThat(put("/v1/kv/t-bad", "v", "X-Kv-Ttl", "-1").statusCode()).isEqualTo(400);
    assertThat(put("/v1/kv/t-bad?ttl=5s", "v", "X-Kv-Ttl", "5s").statusCode()).isEqualTo(400);
    HttpResponse<byte[]> batch = cluster.send(req(p, "/v1/kv:batchPut", DATA_TOKEN).POST(BodyPublishers.ofString(
        "{\"items\":[{\"key\":\"t-bad\",\"value\":\"dg==\"},{\"key\":\"t-bad2\",\"value\":\"dg==\",\"ttl\":\"0\"}]}")));
    assertThat(batch.statusCode()).isEqualTo(400);
    assertThat(get("t-bad").statusCode()).isEqualTo(404);
    assertThat(get("t-bad2").statusCode()).isEqualTo(404);
  }

  @Test
  void theBatchApiCarriesTtls() {
    String v = Base64.getEncoder().encodeToString("x".getBytes(StandardCharsets.UTF_8));
    HttpResponse<byte[]> r = cluster.send(req(p, "/v1/kv:batchPut", DATA_TOKEN).POST(BodyPublishers.ofString(
        "{\"items\":[{\"key\":\"t-b1\",\"value\":\"" + v + "\",\"ttl\":\"1h\"},{\"key\":\"t-b2\",\"value\":\"" + v
            + "\"}]}")));
    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
    JsonNode items = json(cluster.send(req(p, "/v1/kv:batchGet", DATA_TOKEN)
        .POST(BodyPublishers.ofString("{\"keys\":[\"t-b1\",\"t-b2\"]}")))).get("items");
    assertThat(items.get(0).get("ttlMs").asLong()).isBetween(3_590_000L, 3_600_000L);
    assertThat(items.get(0).get("expiresAt").asLong()).isPositive();
    assertThat(items.get(1).has("ttlMs")).isFalse();
  }

  @Test
  void theRoutersTtlApiGivesRedisAnswersAndPersists() {
    byte[] k = "t-router".getBytes(StandardCharsets.UTF_8);
    var router = p.router();
    long now = System.nanoTime();
    assertThat(router.remainingTtl(k, false, now).join().redisTtl()).isEqualTo(KeyTtl.NO_KEY);
    router.putWithTtl(k, "v".getBytes(StandardCharsets.UTF_8), Request.ANY_VERSION, 100_000, System.nanoTime())
        .join();
    assertThat(router.remainingTtl(k, false, System.nanoTime()).join().redisTtl()).isBetween(98L, 100L);
    router.setTtl(k, Ttl.NONE, Request.ANY_VERSION, System.nanoTime()).join();
    KeyTtl persisted = router.remainingTtl(k, false, System.nanoTime()).join();
    assertThat(persisted.redisPttl()).isEqualTo(KeyTtl.NO_TTL);
    assertThat(new String(cluster.send(req(p, "/v1/kv/t-router", DATA_TOKEN).GET()).body(), StandardCharsets.UTF_8))
        .isEqualTo("v");
    router.setTtl(k, 2_000, Request.ANY_VERSION, System.nanoTime()).join();
    assertThat(router.remainingTtl(k, false, System.nanoTime()).join().redisPttl()).isBetween(0L, 2_000L);
  }
}
