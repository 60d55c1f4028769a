package io.kvpipe.proxy;

import static io.kvpipe.proxy.ProxyTestCluster.ADMIN_TOKEN;
import static io.kvpipe.proxy.ProxyTestCluster.DATA_TOKEN;
import static io.kvpipe.proxy.ProxyTestCluster.req;
import static io.kvpipe.proxy.ProxyTestCluster.JSON;
import static io.kvpipe.proxy.ProxyTestCluster.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.Migration;
import io.kvpipe.common.topology.RingSpec;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.proxy.http.KeyPath;
import io.kvpipe.testsupport.Poll;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three kv-node processes, two proxies: adds g3 to g1, g2 through the admin API while a client keeps writing and
 * reading through both proxies, then drains g2. Every key stays readable with its latest value throughout, about a
 * third of the keys move, and the groups keep only what they own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MigrationIT {
  static final int KEYS = 3000;
  /** Keys with a TTL of an hour: a migration must carry each one's deadline unchanged (docs/ttl.md). */
  static final int TTL_KEYS = 200;

  @TempDir
  static Path dir;
  ProxyTestCluster cluster;
  ProxyServer a;
  ProxyServer b;
  final Map<String, String> latest = new ConcurrentHashMap<>();
  Map<String, Long> deadlines;

  @BeforeAll
  void start() throws Exception {
    // MIGIT_DIR keeps the kv-node logs after the run (a TempDir is deleted), for diagnosing a failure.
    cluster = new ProxyTestCluster(System.getenv("MIGIT_DIR") != null ? Path.of(System.getenv("MIGIT_DIR")) : dir);
    a = cluster.startProxy(cluster.config(64 * 1024));
    b = cluster.startProxy(cluster.config(64 * 1024));
    for (int from = 0; from < KEYS; from += 500) {
      StringBuilder items = new StringBuilder("{\"items\":[");
      for (int i = from; i < from + 500; i++) {
        String k = "mig-" + i;
        String v = "v0-" + i;
        latest.put(k, v);
        items.append(i == from ? "" : ",").append("{\"key\":\"").append(k).append("\",\"value\":\"")
            .append(Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))).append("\"}");
      }
      HttpResponse<byte[]> r = cluster.send(req(a, "/v1/kv:batchPut", DATA_TOKEN)
          .POST(BodyPublishers.ofString(items.append("]}").toString())));
      assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
    }
    StringBuilder items = new StringBuilder("{\"items\":[");
    for (int i = 0; i < TTL_KEYS; i++) {
      items.append(i == 0 ? "" : ",").append("{\"key\":\"ttl-mig-").append(i).append("\",\"value\":\"dA==\",")
          .append("\"ttl\":\"1h\"}");
    }
    HttpResponse<byte[]> r = cluster.send(req(a, "/v1/kv:batchPut", DATA_TOKEN)
        .POST(BodyPublishers.ofString(items.append("]}").toString())));
    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
    deadlines = ttlDeadlines();
    assertThat(deadlines).hasSize(TTL_KEYS);
  }

  /** Each TTL key's deadline as read now (batch get). */
  Map<String, Long> ttlDeadlines() {
    StringBuilder keys = new StringBuilder("{\"keys\":[");
    for (int i = 0; i < TTL_KEYS; i++) {
      keys.append(i == 0 ? "" : ",").append("\"ttl-mig-").append(i).append('"');
    }
    JsonNode items = json(cluster.send(req(b, "/v1/kv:batchGet", DATA_TOKEN)
        .POST(BodyPublishers.ofString(keys.append("]}").toString())))).get("items");
    Map<String, Long> out = new java.util.HashMap<>();
    for (JsonNode item : items) {
      assertThat(item.get("found").asBoolean()).as(item.toString()).isTrue();
      out.put(item.get("key").asText(), item.get("expiresAt").asLong());
    }
    return out;
  }

  /** The TTL keys kept their deadlines, including some that moved to another group. */
  void assertTtlKeysKeptTheirDeadlines(HashRing before, HashRing after) {
    assertThat(ttlDeadlines()).isEqualTo(deadlines);
    assertThat(deadlines.keySet().stream().filter(k -> !before.groupFor(k.getBytes(StandardCharsets.UTF_8))
        .equals(after.groupFor(k.getBytes(StandardCharsets.UTF_8))))).as("TTL keys that moved").isNotEmpty();
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }


  HttpResponse<byte[]> admin(ProxyServer p, String method, String path, String body) {
    return cluster.send(req(p, path, ADMIN_TOKEN).method(method,
        body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body)));
  }

  String value(ProxyServer p, String key) {
    HttpResponse<byte[]> r = cluster.send(req(p, "/v1/kv/" + KeyPath.encode(key), DATA_TOKEN).GET());
    return r.statusCode() == 200 ? new String(r.body(), StandardCharsets.UTF_8) : "HTTP " + r.statusCode()
        + " " + new String(r.body(), StandardCharsets.UTF_8);
  }

  String retries(ProxyServer p) {
    String metrics = new String(cluster.send(req(p, "/metrics", null).GET()).body(), StandardCharsets.UTF_8);
    return metrics.lines().filter(l -> l.startsWith("kvpipe_proxy_retries_total")).toList().toString();
  }

  /** Writes (through one proxy) and reads back (through the other) while a migration runs; records every miss. */
  final class Load implements AutoCloseable {
    final AtomicBoolean stop = new AtomicBoolean();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final AtomicInteger ops = new AtomicInteger();
    final Thread thread = Thread.ofVirtual().start(this::loop);

    void loop() {
      for (int n = 1; !stop.get(); n++) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        String k = "mig-" + rnd.nextInt(KEYS);
        if (n % 3 == 0) {
          String v = "v" + n + "-" + k;
          HttpResponse<byte[]> w = cluster.send(req(n % 2 == 0 ? a : b, "/v1/kv/" + k, DATA_TOKEN)
              .PUT(BodyPublishers.ofString(v)));
          if (w.statusCode() >= 300) {
            failures.add("PUT " + k + ": " + w.statusCode() + " " + new String(w.body()));
            continue;
          }
          latest.put(k, v);
        }
        long started = System.currentTimeMillis();
        String got = value(n % 2 == 0 ? b : a, k);
        if (!got.equals(latest.get(k))) {
          failures.add("GET " + k + " at " + java.time.Instant.ofEpochMilli(started) + ": " + got + ", expected "
              + latest.get(k) + "; retries so far: " + retries(n % 2 == 0 ? b : a));
        }
        ops.incrementAndGet();
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join(30_000);
    }
  }

  JsonNode awaitEnd(String id) {
    return Poll.forValue("migration " + id + " done", Duration.ofSeconds(180), () -> {
      JsonNode m = json(admin(b, "GET", "/api/migrations/" + id, null));
      String phase = m.get("phase").asText();
      if (phase.equals("failed") || phase.equals("cancelled")) {
        throw new Poll.Abort("migration ended " + phase + ": " + m);
      }
      return phase.equals("done") ? m : null;
    });
  }

  /** Every record a group holds (the admin scan, page by page) is one its ring position gives it. */
  void assertHoldsOnlyWhatItOwns(String group, HashRing ring) {
    String cursor = null;
    int seen = 0;
    do {
      JsonNode page = json(admin(a, "GET", "/api/cluster/groups/" + group + "/scan?limit=700"
          + (cursor == null ? "" : "&cursor=" + cursor), null));
      for (JsonNode item : page.get("items")) {
        byte[] key = Base64.getDecoder().decode(item.get("key").asText());
        assertThat(ring.groupFor(key)).as(new String(key, StandardCharsets.UTF_8) + " held by " + group)
            .isEqualTo(group);
        assertThat(item.get("version").asLong()).isPositive();
        seen++;
      }
      cursor = page.get("next").isNull() ? null : page.get("next").asText();
    } while (cursor != null);
    assertThat(seen).as(group + " holds some keys").isPositive();
  }

  void assertEveryKeyHasItsLatestValue() {
    for (String k : latest.keySet()) {
      assertThat(value(a, k)).as(k).isEqualTo(latest.get(k));
    }
  }

  @Test
  @Order(1)
  void badRequestsAreRefusedClearlyAndChangeNothing() {
    long version = a.meta().snapshot().version();
    record Case(String method, String path, String body, int status) {}
    List<Case> cases = List.of(
        new Case("POST", "/api/cluster/groups", "{\"id\":", 400),
        new Case("POST", "/api/cluster/groups", "[]", 400),
        new Case("POST", "/api/cluster/groups", "{\"id\":\"g3\",\"peers\":[\"n1-no-address\"]}", 400),
        new Case("POST", "/api/cluster/groups", "{\"id\":\"bad id!\",\"peers\":[\"n1@127.0.0.1:1\"]}", 400),
        new Case("POST", "/api/cluster/groups", "{\"id\":\"g3\",\"peers\":[\"n1@127.0.0.1:1\"],"
            + "\"throttleKeysPerSecond\":-5}", 400),
        new Case("POST", "/api/cluster/groups", "{\"id\":\"g3\",\"peers\":[\"n1@127.0.0.1:1\"],\"batchSize\":0}",
            400),
        new Case("POST", "/api/cluster/groups", "{\"id\":\"g1\",\"peers\":[]}", 409),
        new Case("DELETE", "/api/cluster/groups/g7", null, 404),
        new Case("POST", "/api/cluster/groups/g7/peers", "{\"peer\":\"n9@127.0.0.1:9\"}", 404),
        new Case("POST", "/api/cluster/groups/g1/peers", "{\"peer\":\"n9\"}", 400),
        new Case("DELETE", "/api/cluster/groups/g1/peers/n9", null, 404),
        new Case("GET", "/api/cluster/groups/g7/scan?limit=5", null, 404),
        new Case("GET", "/api/cluster/groups/g1/scan?limit=0", null, 400),
        new Case("GET", "/api/cluster/groups/g1/scan?limit=5&cursor=%21%21", null, 400),
        new Case("GET", "/api/migrations/nope", null, 404),
        new Case("PATCH", "/api/migrations/nope", "{\"batchSize\":5}", 404),
        new Case("PATCH", "/api/migrations/nope", "{\"batchSize\":50000}", 400),
        new Case("POST", "/api/migrations/nope/cancel", null, 404),
        new Case("GET", "/api/cluster/groups/g1/nothing", null, 404));
    for (Case c : cases) {
      HttpResponse<byte[]> r = admin(a, c.method(), c.path(), c.body());
      assertThat(r.statusCode()).as(c + ": " + new String(r.body())).isEqualTo(c.status());
      assertThat(json(r).get("error").asText()).as(c.toString()).isNotBlank();
    }
    assertThat(cluster.send(req(a, "/api/cluster/groups", DATA_TOKEN).POST(BodyPublishers.ofString("{}")))
        .statusCode()).isEqualTo(403);
    assertThat(cluster.send(req(a, "/api/migrations/x", DATA_TOKEN).method("PATCH", BodyPublishers.ofString("{}")))
        .statusCode()).isEqualTo(403);
    assertThat(json(cluster.send(req(a, "/api/migrations", DATA_TOKEN).GET())).get("migrations")).isEmpty();
    assertThat(a.meta().snapshot().version()).isEqualTo(version);
  }

  @Test
  @Order(2)
  void addingAGroupUnderLoadMovesAThirdOfTheKeysAndLosesNone() throws Exception {
    Topology before = a.meta().snapshot();
    HashRing oldRing = before.ring().toRing();
    List<String> peers = new ArrayList<>(List.of(cluster.nodes.peersSpec().split(",")));
    String body = JSON.writeValueAsString(Map.of("id", "g3", "peers", peers, "batchSize", 500));
    JsonNode started;
    try (Load load = new Load()) {
      Poll.until("some load first", Duration.ofSeconds(30), () -> load.ops.get() > 20);
      HttpResponse<byte[]> r = admin(a, "POST", "/api/cluster/groups", body);
      assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(202);
      started = json(r).get("migration");
      assertThat(started.get("kind").asText()).isEqualTo("add-group");
      assertThat(started.get("group").asText()).isEqualTo("g3");
      assertThat(admin(b, "DELETE", "/api/cluster/groups/g2", null).statusCode()).isEqualTo(409);
      JsonNode done = awaitEnd(started.get("id").asText());
      int atDone = load.ops.get();
      Poll.until("load after the migration", Duration.ofSeconds(30), () -> load.ops.get() > atDone + 20);
      load.close();
      assertThat(load.failures).as("client-visible failures").isEmpty();

      Topology after = a.meta().snapshot();
      assertThat(after.ringMembers()).containsExactly("g1", "g2", "g3");
      assertThat(after.epoch()).isEqualTo(before.epoch() + 1);
      HashRing newRing = after.ring().toRing();
      long moved = latest.keySet().stream().filter(k -> !oldRing.groupFor(k.getBytes(StandardCharsets.UTF_8))
          .equals(newRing.groupFor(k.getBytes(StandardCharsets.UTF_8)))).count();
      assertThat((double) moved / KEYS).isBetween(0.22, 0.45);
      long movedTtl = deadlines.keySet().stream().filter(k -> !oldRing.groupFor(k.getBytes(StandardCharsets.UTF_8))
          .equals(newRing.groupFor(k.getBytes(StandardCharsets.UTF_8)))).count();
      assertThat(done.get("keysCopied").asLong()).isEqualTo(moved + movedTtl);
      assertThat(done.get("sourceGroups")).hasSize(2);
      assertEveryKeyHasItsLatestValue();
      for (String g : List.of("g1", "g2", "g3")) {
        assertHoldsOnlyWhatItOwns(g, newRing);
      }
      assertTtlKeysKeptTheirDeadlines(oldRing, newRing);
    }
    JsonNode list = json(cluster.send(req(b, "/api/migrations", DATA_TOKEN).GET())).get("migrations");
    assertThat(list.get(0).get("id").asText()).isEqualTo(started.get("id").asText());
    assertThat(list.get(0).get("phase").asText()).isEqualTo("done");
  }

  @Test
  @Order(3)
  void drainingAGroupUnderLoadKeepsEveryKey() throws Exception {
    HashRing ringBefore = a.meta().snapshot().ring().toRing();
    try (Load load = new Load()) {
      Poll.until("some load first", Duration.ofSeconds(30), () -> load.ops.get() > 20);
      HttpResponse<byte[]> r = admin(b, "DELETE", "/api/cluster/groups/g2", null);
      assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(202);
      JsonNode started = json(r).get("migration");
      assertThat(started.get("kind").asText()).isEqualTo("remove-group");
      awaitEnd(started.get("id").asText());
      int atDone = load.ops.get();
      Poll.until("load after the migration", Duration.ofSeconds(30), () -> load.ops.get() > atDone + 20);
      load.close();
      assertThat(load.failures).as("client-visible failures").isEmpty();
    }
    Topology after = a.meta().snapshot();
    assertThat(after.ringMembers()).containsExactly("g1", "g3");
    assertThat(after.group("g2")).isEmpty();
    assertEveryKeyHasItsLatestValue();
    HashRing ring = after.ring().toRing();
    assertHoldsOnlyWhatItOwns("g1", ring);
    assertHoldsOnlyWhatItOwns("g3", ring);
    assertTtlKeysKeptTheirDeadlines(ringBefore, ring);
  }

  /**
   * Between a drain's RemoveGroup and the migration marked done (a coordinator paused there: recorded here as the
   * meta group holds it then, with a lease that does not expire), a read that misses on the new owner must not wait
   * on the group that is gone: it was purged before it was removed, so the miss is the answer.
   */
  @Test
  @Order(4)
  void aReadOfAMovedKeyDoesNotWaitOnTheDrainedGroupAfterItsRemoval() {
    Topology t = a.meta().snapshot();
    assertThat(t.group("g2")).isEmpty();
    RingSpec before = new RingSpec(t.ring().vnodes(), List.of("g1", "g2", "g3"));
    String never = java.util.stream.IntStream.range(0, 10_000).mapToObj(i -> "never-written-" + i)
        .filter(k -> before.toRing().groupFor(k.getBytes(StandardCharsets.UTF_8)).equals("g2")).findFirst()
        .orElseThrow();
    long now = System.currentTimeMillis();
    Migration finishing = new Migration("remove-group-g2-paused", Migration.REMOVE_GROUP, "finishing",
        t.epoch() - 1, t.epoch(), before, List.of("g2"), List.of("g1", "g3"), 0, 0, now, now,
        Map.of("group", "g2", "step", "finishing", "coordinator", "paused-elsewhere",
            "heartbeatMs", Long.toString(now + 3_600_000)));
    a.meta().submitAndWait(new MetaCommand.PutMigration(finishing, null, now));
    try {
      for (ProxyServer p : List.of(a, b)) {
        Poll.until("the proxy sees the finishing drain", Duration.ofSeconds(10),
            () -> p.watcher().current().topology().inFlightMigration().isPresent());
        long started = System.nanoTime();
        HttpResponse<byte[]> r = cluster.send(req(p, "/v1/kv/" + never, DATA_TOKEN).GET());
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertThat(r.statusCode()).as("GET %s after %d ms: %s", never, ms, new String(r.body())).isEqualTo(404);
        assertThat(ms).as("ms to answer").isLessThan(5000);
      }
    } finally {
      Migration ended = new Migration(finishing.id(), finishing.kind(), Migration.DONE, finishing.fromEpoch(),
          finishing.toEpoch(), before, finishing.sourceGroups(), finishing.targetGroups(), 0, 0, now, now,
          finishing.attributes());
      a.meta().submitAndWait(new MetaCommand.PutMigration(ended, null, System.currentTimeMillis()));
      a.meta().submitAndWait(new MetaCommand.RemoveMigration(finishing.id(), null, System.currentTimeMillis()));
    }
  }

  /**
   * A cancel during copying hands a moving key back to its old owner, which still holds the record from before the
   * migration: k=v1 there, k=v2 written on the new owner, then the cancel. Until the copy-back reaches k, a read must
   * still see v2, and a conditional write on v1's version must be refused (else it would win over v2 for good).
   */
  @Test
  @Order(5)
  void aCancelDuringTheCopyNeitherShowsNorBuildsOnTheOldValueOfAKeyWrittenMeanwhile() throws Exception {
    Topology t = a.meta().snapshot();
    HashRing now = t.ring().toRing();
    HashRing next = new RingSpec(t.ring().vnodes(), List.of("g1", "g2", "g3")).toRing();
    // The moving key the copies reach last (a scan goes in ring-position order), so they never reach it first.
    String k = java.util.stream.IntStream.range(0, 20_000).mapToObj(i -> "cancel-" + i)
        .filter(x -> next.groupFor(x.getBytes(StandardCharsets.UTF_8)).equals("g2"))
        .max(java.util.Comparator.comparingLong(x -> HashRing.position(x.getBytes(StandardCharsets.UTF_8))))
        .orElseThrow();
    long v1 = version(cluster.send(req(a, "/v1/kv/" + k, DATA_TOKEN).PUT(BodyPublishers.ofString("v1"))));
    assertThat(now.groupFor(k.getBytes(StandardCharsets.UTF_8))).isNotEqualTo("g2");

    List<String> peers = new ArrayList<>(List.of(cluster.nodes.peersSpec().split(",")));
    HttpResponse<byte[]> r = admin(a, "POST", "/api/cluster/groups", JSON.writeValueAsString(Map.of("id", "g2",
        "peers", peers, "batchSize", 1, "throttleKeysPerSecond", 1)));
    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(202);
    String id = json(r).get("migration").get("id").asText();
    Poll.until("copying", Duration.ofSeconds(60), () -> json(admin(b, "GET", "/api/migrations/" + id, null))
        .get("phase").asText().equals("copying"));
    Poll.until("the proxies on the new ring", Duration.ofSeconds(10), () -> List.of(a, b).stream()
        .allMatch(p -> p.watcher().current().topology().ringMembers().contains("g2")));
    long v2 = version(cluster.send(req(a, "/v1/kv/" + k, DATA_TOKEN).PUT(BodyPublishers.ofString("v2"))));
    assertThat(v2).isGreaterThan(v1);
    String g2Raft = a.meta().snapshot().group("g2").orElseThrow().raftName();
    cluster.nodes.trackGroup(g2Raft, RaftGroupId.valueOf(GroupIds.uuidOf(g2Raft)));

    assertThat(admin(b, "POST", "/api/migrations/" + id + "/cancel", null).statusCode()).isEqualTo(202);
    Poll.until("the old ring back on both proxies", Duration.ofSeconds(60), () -> List.of(a, b).stream()
        .allMatch(p -> !p.watcher().current().topology().ringMembers().contains("g2")));
    String readBeforeCopyBack = value(b, k);
    HttpResponse<byte[]> cas = cluster.send(req(a, "/v1/kv/" + k, DATA_TOKEN).header("If-Match", "\"" + v1 + "\"")
        .PUT(BodyPublishers.ofString("v3-built-on-v1")));
    JsonNode progress = json(admin(b, "GET", "/api/migrations/" + id, null));
    admin(b, "PATCH", "/api/migrations/" + id, "{\"throttleKeysPerSecond\":0,\"batchSize\":500}");
    Poll.until("cancelled", Duration.ofSeconds(120), () -> json(admin(b, "GET", "/api/migrations/" + id, null))
        .get("phase").asText().equals("cancelled"));
    String after = value(a, k);

    assertThat(progress.get("phase").asText()).as("the cancel still copying back: " + progress)
        .isEqualTo("cancelling");
    org.assertj.core.api.SoftAssertions soft = new org.assertj.core.api.SoftAssertions();
    soft.assertThat(readBeforeCopyBack).as("GET before the copy-back reached the key").isEqualTo("v2");
    soft.assertThat(cas.statusCode()).as("If-Match on v1's version: " + new String(cas.body())).isEqualTo(412);
    soft.assertThat(after).as("the key once the cancel ended").isEqualTo("v2");
    soft.assertAll();
    // The cancelled add leaves nothing behind: the group it created is gone, and so are its replicas.
    assertThat(a.meta().snapshot().group("g2")).as("g2 after its add was cancelled").isEmpty();
    Poll.until("the nodes to drop " + g2Raft, Duration.ofSeconds(60),
        () -> cluster.nodes.nodeIds().stream().noneMatch(n -> cluster.nodes.hosts(n, g2Raft)));
  }

  static long version(HttpResponse<byte[]> r) {
    assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isBetween(200, 201);
    return Long.parseLong(r.headers().firstValue("X-Kv-Version").orElseThrow());
  }
}
