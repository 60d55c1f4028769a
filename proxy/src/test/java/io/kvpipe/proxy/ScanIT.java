package io.kvpipe.proxy;

import static io.kvpipe.proxy.ProxyTestCluster.ADMIN_TOKEN;
import static io.kvpipe.proxy.ProxyTestCluster.DATA_TOKEN;
import static io.kvpipe.proxy.ProxyTestCluster.req;
import static io.kvpipe.proxy.ProxyTestCluster.JSON;
import static io.kvpipe.proxy.ProxyTestCluster.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.proxy.http.KeyPath;
import io.kvpipe.testsupport.Poll;
import java.net.URLEncoder;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Range and prefix scans through two proxies over real Ratis groups (three kv-node processes): key order across
 * groups, pagination, bounds, refusals; then scans that run while a migration adds a group and while another drains
 * one, each returning every key of the prefix exactly once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScanIT {

  @TempDir
  static Path dir;
  ProxyTestCluster cluster;
  ProxyServer a;
  ProxyServer b;

  @BeforeAll
  void start() throws Exception {
    cluster = new ProxyTestCluster(dir);
    a = cluster.startProxy(cluster.config(64 * 1024));
    b = cluster.startProxy(cluster.config(64 * 1024));
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }


  static String q(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  void putAll(Map<String, String> values) {
    List<Map.Entry<String, String>> all = new ArrayList<>(values.entrySet());
    for (int from = 0; from < all.size(); from += 500) {
      List<Map<String, String>> items = new ArrayList<>();
      for (Map.Entry<String, String> e : all.subList(from, Math.min(all.size(), from + 500))) {
        items.add(Map.of("key", e.getKey(), "value", Base64.getEncoder().encodeToString(
            e.getValue().getBytes(StandardCharsets.UTF_8))));
      }
      HttpResponse<byte[]> r;
      try {
        r = cluster.send(req(a, "/v1/kv:batchPut", DATA_TOKEN)
            .POST(BodyPublishers.ofString(JSON.writeValueAsString(Map.of("items", items)))));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
    }
  }

  HttpResponse<byte[]> scanRequest(ProxyServer p, String query) {
    return cluster.send(req(p, "/v1/kv?" + query, DATA_TOKEN).GET());
  }

  /** A whole scan, page by page (alternating proxies: a token is not tied to one); key -> value (or "" without). */
  record Scan(List<String> keys, Map<String, String> values, int pages) {}

  Scan scanAll(String query, boolean values) {
    List<String> keys = new ArrayList<>();
    Map<String, String> vals = new TreeMap<>();
    String token = null;
    int pages = 0;
    do {
      ProxyServer p = pages % 2 == 0 ? a : b;
      HttpResponse<byte[]> r = scanRequest(p, query + (values ? "&values=true" : "")
          + (token == null ? "" : "&token=" + token));
      assertThat(r.statusCode()).as("page %d: %s", pages, new String(r.body(), StandardCharsets.UTF_8))
          .isEqualTo(200);
      JsonNode body = json(r);
      for (JsonNode item : body.get("items")) {
        String k = item.get("key").asText();
        keys.add(k);
        assertThat(item.get("version").asLong()).isPositive();
        vals.put(k, values ? new String(Base64.getDecoder().decode(item.get("value").asText()),
            StandardCharsets.UTF_8) : "");
        assertThat(item.has("value")).isEqualTo(values);
      }
      token = body.has("next") ? body.get("next").asText() : null;
      pages++;
      assertThat(pages).as("pages").isLessThan(10_000);
    } while (token != null);
    return new Scan(keys, vals, pages);
  }

  @Test
  @Order(1)
  void keysOfEveryGroupComeInKeyOrderAPageAtATime() {
    TreeMap<String, String> expected = new TreeMap<>();
    Map<String, String> writes = new TreeMap<>();
    for (int i = 0; i < 400; i++) {
      String k = String.format("user/%04d", i);
      writes.put(k, "v" + i);
      expected.put(k, "v" + i);
    }
    // Neighbours just outside the prefix, and a multi-byte key inside it.
    writes.put("user.", "outside");
    writes.put("user0", "outside");
    writes.put("use", "outside");
    writes.put("user/\u00e9t\u00e9", "summer");
    expected.put("user/\u00e9t\u00e9", "summer");
    putAll(writes);
    for (int i = 0; i < 400; i += 7) {
      String k = String.format("user/%04d", i);
      assertThat(cluster.send(req(b, "/v1/kv/" + KeyPath.encode(k), DATA_TOKEN).DELETE()).statusCode())
          .isEqualTo(200);
      expected.remove(k);
    }
    Topology t = a.meta().snapshot();
    HashRing ring = t.ring().toRing();
    Set<String> groupsUsed = new HashSet<>();
    expected.keySet().forEach(k -> groupsUsed.add(ring.groupFor(k.getBytes(StandardCharsets.UTF_8))));
    assertThat(groupsUsed).containsExactlyInAnyOrder("g1", "g2");

    Scan s = scanAll("prefix=user%2F&limit=37", true);
    assertThat(s.keys()).containsExactlyElementsOf(expected.keySet());
    assertThat(s.values()).isEqualTo(expected);
    assertThat(s.pages()).isGreaterThanOrEqualTo(expected.size() / 37);

    Scan range = scanAll("start=" + q("user/0100") + "&end=" + q("user/0200") + "&limit=1000", false);
    assertThat(range.keys()).containsExactlyElementsOf(expected.subMap("user/0100", "user/0200").keySet());
    assertThat(range.pages()).isEqualTo(1);

    Scan open = scanAll("start=" + q("user/0390"), false);
    // Every seventh key was deleted (392, 399); "user." sorts before the start.
    assertThat(open.keys()).containsExactly("user/0390", "user/0391", "user/0393", "user/0394", "user/0395",
        "user/0396", "user/0397", "user/0398", "user/\u00e9t\u00e9", "user0");

    JsonNode empty = json(scanRequest(a, "prefix=nothing-here"));
    assertThat(empty.get("items")).isEmpty();
    assertThat(empty.has("next")).isFalse();
  }

  @Test
  @Order(2)
  void badScansAreRefusedWithAClearError() {
    String token = json(scanRequest(a, "prefix=user%2F&limit=1")).get("next").asText();
    Map<String, String> bad = Map.of(
        "prefix=user%2F&limit=0", "limit must be within 1..1000",
        "prefix=user%2F&limit=5000", "limit must be within 1..1000",
        "prefix=a&start=b", "either prefix or start/end",
        "start=b&end=a", "start must sort before end",
        "values=maybe", "values must be true or false",
        "prefix=zzz&token=" + token, "does not belong",
        "prefix=user%2F&token=garbage!", "continuation token");
    for (var c : bad.entrySet()) {
      HttpResponse<byte[]> r = scanRequest(b, c.getKey());
      assertThat(r.statusCode()).as(c.getKey()).isEqualTo(400);
      assertThat(json(r).get("message").asText()).as(c.getKey()).contains(c.getValue());
    }
    assertThat(cluster.send(req(a, "/v1/kv?prefix=user", null).GET()).statusCode()).isEqualTo(401);
    assertThat(cluster.send(req(a, "/v1/kv?prefix=user", DATA_TOKEN).DELETE()).statusCode()).isEqualTo(405);
  }

  /** Overwrites keys of the scanned prefix (never adding or removing one) and churns keys outside it. */
  final class Writer implements AutoCloseable {
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicInteger ops = new AtomicInteger();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final List<String> keys;
    final Thread thread;

    Writer(List<String> keys) {
      this.keys = keys;
      this.thread = Thread.ofVirtual().start(this::loop);
    }

    void loop() {
      ThreadLocalRandom rnd = ThreadLocalRandom.current();
      for (int n = 0; !stop.get(); n++) {
        try {
          writeOnce(rnd, n);
        } catch (RuntimeException e) {
          failures.add(e.toString());
        }
        ops.incrementAndGet();
      }
    }

    void writeOnce(ThreadLocalRandom rnd, int n) {
      String k = keys.get(rnd.nextInt(keys.size()));
      HttpResponse<byte[]> r = cluster.send(req(n % 2 == 0 ? a : b, "/v1/kv/" + KeyPath.encode(k), DATA_TOKEN)
          .PUT(BodyPublishers.ofString(k + "#" + n)));
      String other = "churn/" + rnd.nextInt(200);
      HttpResponse<byte[]> r2 = cluster.send(req(a, "/v1/kv/" + KeyPath.encode(other), DATA_TOKEN)
          .method(n % 3 == 0 ? "DELETE" : "PUT", BodyPublishers.ofString("x")));
      if (r.statusCode() / 100 != 2 || r2.statusCode() / 100 != 2) {
        failures.add(k + " -> " + r.statusCode() + ", " + other + " -> " + r2.statusCode());
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join();
    }
  }

  HttpResponse<byte[]> admin(String method, String path, String body) {
    return cluster.send(req(a, path, ADMIN_TOKEN).method(method,
        body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body)));
  }

  boolean migrationDone(String id) {
    JsonNode m = json(admin("GET", "/api/migrations/" + id, null));
    String phase = m.get("phase").asText();
    if (phase.equals("failed") || phase.equals("cancelled")) {
      throw new AssertionError("migration ended " + phase + ": " + m);
    }
    return phase.equals("done");
  }

  /** Whole scans of the prefix, one after another on a thread of their own, each checked; their time spans. */
  final class Scanner implements AutoCloseable {
    final List<String> keys;
    final AtomicBoolean stop = new AtomicBoolean();
    final List<long[]> spans = new CopyOnWriteArrayList<>();
    final List<Throwable> failures = new CopyOnWriteArrayList<>();
    final Thread thread;

    Scanner(List<String> keys) {
      this.keys = keys;
      this.thread = Thread.ofVirtual().start(this::loop);
    }

    void loop() {
      for (int n = 0; !stop.get() && failures.isEmpty(); n++) {
        try {
          long t0 = System.nanoTime();
          // Small pages as well as large: many rounds, so many of them meet the migration's steps.
          boolean values = n % 2 == 0;
          Scan s = scanAll("prefix=mv%2F&limit=" + List.of(10, 70, 400).get(n % 3), values);
          long t1 = System.nanoTime();
          assertThat(new HashSet<>(s.keys())).as("scan %d: duplicates", n).hasSize(s.keys().size());
          assertThat(s.keys()).as("scan %d: missed or extra keys", n).containsExactlyElementsOf(keys);
          if (values) {
            s.values().forEach((k, v) -> assertThat(v).as(k).startsWith(k + "#"));
          }
          spans.add(new long[] {t0, t1});
          System.out.printf("scan %d: %d keys in %d pages, %d ms%n", n, s.keys().size(), s.pages(),
              (t1 - t0) / 1_000_000);
        } catch (Throwable t) {
          failures.add(t);
        }
      }
    }

    /** Whole scans that began before {@code to} and ended after {@code from}. */
    long overlapping(long from, long to) {
      return spans.stream().filter(sp -> sp[0] < to && sp[1] > from).count();
    }

    /** Whole scans that ran entirely between {@code from} and {@code to}. */
    long within(long from, long to) {
      return spans.stream().filter(sp -> sp[0] > from && sp[1] < to).count();
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join();
    }
  }

  /** Starts a migration with {@code request} while {@code scanner} runs; its start and end (first seen done). */
  long[] migrate(Scanner scanner, java.util.function.Supplier<HttpResponse<byte[]>> request) {
    int before = scanner.spans.size();
    Poll.until("a whole scan before the migration", Duration.ofSeconds(60),
        () -> scanner.spans.size() > before || !scanner.failures.isEmpty());
    long started = System.nanoTime();
    HttpResponse<byte[]> r = request.get();
    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(202);
    String id = json(r).get("migration").get("id").asText();
    Poll.until("migration " + id + " done", Duration.ofSeconds(180), () -> migrationDone(id));
    long done = System.nanoTime();
    int atDone = scanner.spans.size();
    Poll.until("a whole scan after the migration", Duration.ofSeconds(60),
        () -> scanner.spans.size() > atDone + 1 || !scanner.failures.isEmpty());
    return new long[] {started, done};
  }

  @Test
  @Order(3)
  void aScanDuringAMigrationReturnsEveryKeyExactlyOnce() throws Exception {
    TreeMap<String, String> initial = new TreeMap<>();
    for (int i = 0; i < 1500; i++) {
      String k = String.format("mv/%05d", i);
      initial.put(k, k + "#init");
    }
    putAll(initial);
    List<String> keys = List.copyOf(initial.keySet());
    HashRing oldRing = a.meta().snapshot().ring().toRing();
    List<String> peers = List.of(cluster.nodes.peersSpec().split(","));
    // Small copy batches make the migration long enough for whole scans to run inside it.
    String addG3 = JSON.writeValueAsString(Map.of("id", "g3", "peers", peers, "batchSize", 10));
    try (Writer w = new Writer(keys); Scanner scanner = new Scanner(keys)) {
      long[] add = migrate(scanner, () -> admin("POST", "/api/cluster/groups", addG3));
      HashRing newRing = a.meta().snapshot().ring().toRing();
      long moved = keys.stream().filter(k -> !oldRing.groupFor(k.getBytes(StandardCharsets.UTF_8))
          .equals(newRing.groupFor(k.getBytes(StandardCharsets.UTF_8)))).count();
      assertThat(moved).as("keys of the prefix that moved to g3").isGreaterThan(200);

      long[] drain = migrate(scanner, () -> admin("DELETE", "/api/cluster/groups/g2", null));
      scanner.close();
      w.close();
      assertThat(scanner.failures).as("scan failures").isEmpty();
      assertThat(scanner.overlapping(add[0], add[1])).as("whole scans overlapping the add-group").isPositive();
      assertThat(scanner.within(add[0], add[1])).as("whole scans within the add-group").isPositive();
      assertThat(scanner.overlapping(drain[0], drain[1])).as("whole scans overlapping the drain").isPositive();
      assertThat(w.failures).as("writes that failed").isEmpty();
      assertThat(w.ops.get()).as("writes during the scans").isGreaterThan(10);
    }
    assertThat(a.meta().snapshot().ringMembers()).containsExactly("g1", "g3");
  }
}
