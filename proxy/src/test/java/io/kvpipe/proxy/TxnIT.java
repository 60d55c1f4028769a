package io.kvpipe.proxy;

import static io.kvpipe.proxy.ProxyTestCluster.ADMIN_TOKEN;
import static io.kvpipe.proxy.ProxyTestCluster.DATA_TOKEN;
import static io.kvpipe.proxy.ProxyTestCluster.JSON;
import static io.kvpipe.proxy.ProxyTestCluster.json;
import static io.kvpipe.proxy.ProxyTestCluster.req;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.ChangeEventCodec;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import java.net.URLEncoder;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/txn} through two proxies over real Ratis groups (three kv-node processes) with CDC into a real
 * Kafka broker: compare / success / failure, cross-group refusal, hash-tag colocation, bad input, concurrent CAS
 * increments through transactions (alone, then while a migration adds a group), and the change events each
 * transaction leaves on the topic.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TxnIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
  private static final String TOPIC = "kv.changes.txn";

  @TempDir
  static Path dir;
  ProxyTestCluster cluster;
  ProxyServer a;
  ProxyServer b;
  HashRing ring;
  /** The versions a successful transaction of test 1 got, and its keys, for the CDC check. */
  final Map<String, Long> firstTxn = new LinkedHashMap<>();
  long plainPutVersion;
  /** Per counter key: how many increments succeeded. */
  final Map<String, Integer> increments = new ConcurrentHashMap<>();

  @BeforeAll
  void start() throws Exception {
    cluster = new ProxyTestCluster(dir, "--kafka-bootstrap", KAFKA.bootstrapServers(), "--topic", TOPIC);
    a = cluster.startProxy(cluster.config(64 * 1024));
    b = cluster.startProxy(cluster.config(64 * 1024));
    ring = a.meta().snapshot().ring().toRing();
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  static String text(JsonNode base64) {
    return new String(Base64.getDecoder().decode(base64.asText()), StandardCharsets.UTF_8);
  }

  static String path(String key) {
    return "/v1/kv/" + URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20");
  }

  HttpResponse<byte[]> txn(ProxyServer p, Object body) {
    try {
      String json = body instanceof String s ? s : JSON.writeValueAsString(body);
      return cluster.send(req(p, "/v1/txn", DATA_TOKEN).POST(BodyPublishers.ofString(json)));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }

  HttpResponse<byte[]> put(ProxyServer p, String key, String value) {
    return cluster.send(req(p, path(key), DATA_TOKEN).PUT(BodyPublishers.ofString(value)));
  }

  HttpResponse<byte[]> get(ProxyServer p, String key) {
    return cluster.send(req(p, path(key), DATA_TOKEN).GET());
  }

  static Map<String, Object> cmp(String key, String target, Object operand) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key", key);
    m.put("target", target);
    if (operand != null) {
      m.put(target.equals("value") ? "value" : "version", operand);
    }
    return m;
  }

  static Map<String, Object> op(String op, String key, String value) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("op", op);
    m.put("key", key);
    if (value != null) {
      m.put("value", b64(value));
    }
    return m;
  }

  static Map<String, Object> body(List<?> compare, List<?> success, List<?> failure) {
    return Map.of("compare", compare, "success", success, "failure", failure);
  }

  @Test
  @Order(1)
  void theCompareChoosesTheBranchAndAGetSeesTheBranchsOwnWrites() {
    String balance = "{acct:1}:balance";
    String audit = "{acct:1}:audit";
    HttpResponse<byte[]> created = put(a, balance, "100");
    assertThat(created.statusCode()).isEqualTo(201);
    plainPutVersion = json(created).get("version").asLong();
    Map<String, Object> debit = body(List.of(cmp(balance, "value", b64("100"))),
        List.of(op("put", balance, "90"), op("put", audit, "debit 10"), op("get", balance, null)),
        List.of(op("get", balance, null)));

    HttpResponse<byte[]> r = txn(a, debit);
    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
    JsonNode j = json(r);
    assertThat(j.get("succeeded").asBoolean()).isTrue();
    assertThat(j.get("group").asText()).isEqualTo(ring.groupFor("acct:1".getBytes(StandardCharsets.UTF_8)));
    JsonNode res = j.get("results");
    assertThat(res).hasSize(3);
    long v = res.get(0).get("version").asLong();
    assertThat(v).isGreaterThan(plainPutVersion);
    assertThat(res.get(0).get("created").asBoolean()).isFalse();
    assertThat(res.get(1).get("created").asBoolean()).isTrue();
    assertThat(res.get(1).get("version").asLong()).isEqualTo(v);
    assertThat(text(res.get(2).get("value"))).isEqualTo("90");
    assertThat(res.get(2).get("version").asLong()).isEqualTo(v);
    firstTxn.put(balance, v);
    firstTxn.put(audit, v);

    // The same transaction again, through the other proxy: the compare fails now, the failure branch runs.
    JsonNode again = json(txn(b, debit));
    assertThat(again.get("succeeded").asBoolean()).isFalse();
    assertThat(again.get("results")).hasSize(1);
    assertThat(text(again.get("results").get(0).get("value"))).isEqualTo("90");
    HttpResponse<byte[]> now = get(b, balance);
    assertThat(new String(now.body(), StandardCharsets.UTF_8)).isEqualTo("90");
    assertThat(now.headers().firstValue("X-Kv-Version")).hasValue(Long.toString(v));

    // Version and existence compares.
    JsonNode byVersion = json(txn(a, body(List.of(cmp(balance, "version", v), cmp(audit, "exists", null),
        cmp("{acct:1}:none", "missing", null)), List.of(op("delete", audit, null)), List.of())));
    assertThat(byVersion.get("succeeded").asBoolean()).isTrue();
    assertThat(byVersion.get("results").get(0).get("existed").asBoolean()).isTrue();
    assertThat(get(a, audit).statusCode()).isEqualTo(404);
  }

  /** A key of {@code group} on the current ring, without a hash tag, not in {@code not}. */
  String keyIn(String group, String prefix) {
    for (int i = 0; ; i++) {
      String k = prefix + i;
      if (ring.groupFor(k.getBytes(StandardCharsets.UTF_8)).equals(group)) {
        return k;
      }
    }
  }

  @Test
  @Order(2)
  void keysOfTwoGroupsAreRefusedNamingTheGroupsAndNothingChanges() {
    String k1 = keyIn("g1", "cross-");
    String k2 = keyIn("g2", "cross-");
    HttpResponse<byte[]> r = txn(a, body(List.of(), List.of(op("put", k1, "x"), op("put", k2, "y")), List.of()));
    assertThat(r.statusCode()).isEqualTo(400);
    JsonNode j = json(r);
    assertThat(j.get("error").asText()).isEqualTo("CROSS_GROUP");
    assertThat(j.get("message").asText()).contains("g1 (" + k1 + ")").contains("g2 (" + k2 + ")")
        .contains("hash tag");
    // A key only compared, or only in the failure branch, counts as well.
    HttpResponse<byte[]> viaCompare = txn(b, body(List.of(cmp(k2, "missing", null)), List.of(op("put", k1, "x")),
        List.of()));
    assertThat(viaCompare.statusCode()).isEqualTo(400);
    HttpResponse<byte[]> viaFailure = txn(b, body(List.of(), List.of(op("put", k1, "x")), List.of(op("get", k2,
        null))));
    assertThat(viaFailure.statusCode()).isEqualTo(400);
    assertThat(get(a, k1).statusCode()).isEqualTo(404);
    assertThat(get(a, k2).statusCode()).isEqualTo(404);
  }

  @Test
  @Order(3)
  void keysSharingAHashTagLiveInOneGroupAndCommitTogether() {
    Set<String> groupsUsed = new HashSet<>();
    for (int i = 0; i < 16; i++) {
      String tag = "user:" + i;
      String group = ring.groupFor(tag.getBytes(StandardCharsets.UTF_8));
      groupsUsed.add(group);
      List<Object> puts = new ArrayList<>();
      for (String part : List.of("profile", "cart", "session")) {
        String k = "{" + tag + "}:" + part;
        assertThat(ring.groupFor(k.getBytes(StandardCharsets.UTF_8))).isEqualTo(group);
        puts.add(op("put", k, part + i));
      }
      puts.add(op("put", "prefix-" + part(i) + "{" + tag + "}", "x"));
      JsonNode j = json(txn(i % 2 == 0 ? a : b, body(List.of(), puts, List.of())));
      assertThat(j.get("succeeded").asBoolean()).as(j.toString()).isTrue();
      assertThat(j.get("group").asText()).isEqualTo(group);
      assertThat(new String(get(a, "{" + tag + "}:cart").body(), StandardCharsets.UTF_8)).isEqualTo("cart" + i);
    }
    assertThat(groupsUsed).as("tags spread over both groups").containsExactlyInAnyOrder("g1", "g2");
  }

  private static String part(int i) {
    return Integer.toString(i * 7919);
  }

  @Test
  @Order(4)
  void badTransactionsAreRefusedAndChangeNothing() {
    String k = "{bad}:k";
    List<String> bodies = List.of(
        "not json",
        "{\"success\":[{\"op\":\"put\",\"key\":\"" + k + "\",\"value\":\"" + b64("v") + "\"}]",
        "{\"compares\":[],\"success\":[{\"op\":\"put\",\"key\":\"" + k + "\",\"value\":\"" + b64("v") + "\"}]}",
        "{\"success\":[{\"op\":\"put\",\"key\":\"" + k + "\",\"value\":\"" + b64("v") + "\"},"
            + "{\"op\":\"put\",\"key\":\"" + k + "\",\"value\":\"" + b64("w") + "\"}]}",
        "{\"success\":[{\"op\":\"put\",\"key\":\"" + k + "\",\"value\":\"" + b64("v") + "\"},"
            + "{\"op\":\"frobnicate\",\"key\":\"" + k + "\"}]}",
        "{\"success\":[]}");
    for (String bad : bodies) {
      HttpResponse<byte[]> r = txn(a, bad);
      assertThat(r.statusCode()).as(bad).isEqualTo(400);
      assertThat(json(r).get("error").asText()).isEqualTo("MALFORMED_REQUEST");
    }
    HttpResponse<byte[]> big = txn(a, body(List.of(), List.of(op("put", k, "x".repeat(64 * 1024 + 1))), List.of()));
    assertThat(big.statusCode()).isEqualTo(413);
    HttpResponse<byte[]> noToken = cluster.send(req(a, "/v1/txn", null)
        .POST(BodyPublishers.ofString("{\"success\":[{\"op\":\"get\",\"key\":\"k\"}]}")));
    assertThat(noToken.statusCode()).isEqualTo(401);
    HttpResponse<byte[]> wrongMethod = cluster.send(req(a, "/v1/txn", DATA_TOKEN).GET());
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(get(a, k).statusCode()).isEqualTo(404);
  }

  /** Clients incrementing counters by CAS through transactions; each counts the increments it was told succeeded. */
  final class Incrementers implements AutoCloseable {
    final List<Thread> threads = new ArrayList<>();
    final List<String> errors = new CopyOnWriteArrayList<>();
    final AtomicInteger conflicts = new AtomicInteger();
    volatile boolean stop;

    Incrementers(List<String> counters, int clients, int attemptsEach) {
      for (int c = 0; c < clients; c++) {
        String counter = counters.get(c % counters.size());
        ProxyServer via = c % 2 == 0 ? a : b;
        threads.add(Thread.ofVirtual().start(() -> {
          for (int n = 0; n < attemptsEach && !stop; n++) {
            try {
              incrementOnce(via, counter);
            } catch (RuntimeException e) {
              errors.add(counter + ": " + e);
            }
          }
        }));
      }
    }

    void incrementOnce(ProxyServer via, String counter) {
      String last = counter.substring(0, counter.indexOf('}') + 1) + ":last";
      JsonNode read = json(txn(via, body(List.of(), List.of(op("get", counter, null)), List.of())));
      JsonNode got = read.get("results").get(0);
      long version = got.get("found").asBoolean() ? got.get("version").asLong() : 0;
      int value = got.get("found").asBoolean() ? Integer.parseInt(text(got.get("value"))) : 0;
      HttpResponse<byte[]> r = txn(via, body(List.of(cmp(counter, "version", version)),
          List.of(op("put", counter, Integer.toString(value + 1)), op("put", last, Integer.toString(value + 1))),
          List.of(op("get", counter, null))));
      if (r.statusCode() != 200) {
        throw new IllegalStateException(r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
      }
      if (json(r).get("succeeded").asBoolean()) {
        increments.merge(counter, 1, Integer::sum);
      } else {
        conflicts.incrementAndGet();
      }
    }

    void join() throws InterruptedException {
      for (Thread t : threads) {
        t.join();
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop = true;
      join();
    }
  }

  int counterValue(String key) {
    HttpResponse<byte[]> r = get(a, key);
    return r.statusCode() == 404 ? 0 : Integer.parseInt(new String(r.body(), StandardCharsets.UTF_8));
  }

  @Test
  @Order(5)
  void concurrentCasIncrementsThroughTransactionsLoseNothing() throws Exception {
    String counter = "{ctr}:n";
    try (Incrementers inc = new Incrementers(List.of(counter), 8, 25)) {
      inc.join();
      assertThat(inc.errors).isEmpty();
      assertThat(increments.get(counter)).isPositive();
      assertThat(counterValue(counter)).isEqualTo(increments.get(counter));
      assertThat(counterValue("{ctr}:last")).isEqualTo(increments.get(counter));
      System.out.printf("txn increments: %d succeeded, %d lost a race%n", increments.get(counter),
          inc.conflicts.get());
    }
  }

  @Test
  @Order(6)
  void eachChangeIsItsOwnEventAndATransactionsEventsShareItsId() {
    Map<String, List<ChangeEvent>> byKey = new ConcurrentHashMap<>();
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "txn-it");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    int expectedIncrements = increments.get("{ctr}:n");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(TOPIC));
      Poll.until("the transactions' events on " + TOPIC, Duration.ofSeconds(90), () -> {
        for (ConsumerRecord<byte[], byte[]> rec : consumer.poll(Duration.ofMillis(500))) {
          if (rec.value() != null) {
            ChangeEvent e = ChangeEventCodec.decode(rec.value());
            byKey.computeIfAbsent(e.key(), x -> new CopyOnWriteArrayList<>()).add(e);
          }
        }
        return byKey.getOrDefault("{acct:1}:audit", List.of()).size() >= 2
            && byKey.getOrDefault("{ctr}:n", List.of()).stream().filter(ChangeEvent::txn).count()
                >= expectedIncrements;
      });
    }
    List<ChangeEvent> balance = byKey.get("{acct:1}:balance");
    ChangeEvent plain = balance.stream().filter(e -> e.version() == plainPutVersion).findFirst().orElseThrow();
    assertThat(plain.txn()).isFalse();
    assertThat(plain.txnId()).isNull();
    long v = firstTxn.get("{acct:1}:balance");
    ChangeEvent debit = balance.stream().filter(e -> e.version() == v).findFirst().orElseThrow();
    ChangeEvent audit = byKey.get("{acct:1}:audit").stream().filter(e -> e.version() == v).findFirst().orElseThrow();
    assertThat(debit.txnId()).isNotNull().isEqualTo(audit.txnId()).isEqualTo(debit.group() + ":" + debit.logIndex());
    assertThat(List.of(debit.seq(), audit.seq())).containsExactly(0, 1);
    assertThat(new String(debit.before(), StandardCharsets.UTF_8)).isEqualTo("100");
    // Every successful increment is one event of the counter and one of its companion, sharing their txn id.
    List<ChangeEvent> counter = byKey.get("{ctr}:n").stream().filter(ChangeEvent::txn).toList();
    assertThat(counter.stream().map(ChangeEvent::version).distinct().count()).isEqualTo(expectedIncrements);
    Map<String, Long> companions = byKey.get("{ctr}:last").stream().filter(ChangeEvent::txn)
        .collect(Collectors.toMap(ChangeEvent::txnId, ChangeEvent::version, (x, y) -> x));
    assertThat(counter).allSatisfy(e -> assertThat(companions.get(e.txnId())).isEqualTo(e.version()));
  }

  @Test
  @Order(7)
  void incrementsDuringAMigrationLoseNothing() throws Exception {
    // Counters whose tag moves to the new group, and one that stays.
    HashRing next = HashRing.of(List.of("g1", "g2", "g3"), ring.vnodes());
    List<String> moving = new ArrayList<>();
    String staying = null;
    for (int i = 0; moving.size() < 3 || staying == null; i++) {
      String tag = "m" + i;
      byte[] t = tag.getBytes(StandardCharsets.UTF_8);
      if (next.groupFor(t).equals("g3")) {
        if (moving.size() < 3) {
          moving.add("{" + tag + "}:n");
        }
      } else if (staying == null) {
        staying = "{" + tag + "}:n";
      }
    }
    List<String> counters = new ArrayList<>(moving);
    counters.add(staying);
    for (String c : counters) {
      assertThat(put(a, c, "0").statusCode()).isEqualTo(201);
    }
    // Ballast, so the copy takes a while with small batches.
    List<Object> items = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      items.add(Map.of("key", "ballast-" + i, "value", b64("b" + i)));
    }
    HttpResponse<byte[]> loaded = cluster.send(req(a, "/v1/kv:batchPut", DATA_TOKEN)
        .POST(BodyPublishers.ofString(JSON.writeValueAsString(Map.of("items", items)))));
    assertThat(loaded.statusCode()).isEqualTo(200);
    List<String> peers = List.of(cluster.nodes.peersSpec().split(","));
    String addG3 = JSON.writeValueAsString(Map.of("id", "g3", "peers", peers, "batchSize", 10));
    try (Incrementers inc = new Incrementers(counters, 8, 1_000_000)) {
      Poll.until("increments before the migration", Duration.ofSeconds(60),
          () -> counters.stream().allMatch(c -> increments.getOrDefault(c, 0) > 0) || !inc.errors.isEmpty());
      HttpResponse<byte[]> started = cluster.send(req(a, "/api/cluster/groups", ADMIN_TOKEN)
          .POST(BodyPublishers.ofString(addG3)));
      assertThat(started.statusCode()).as(new String(started.body())).isEqualTo(202);
      String id = json(started).get("migration").get("id").asText();
      Map<String, Integer> atStart = Map.copyOf(increments);
      Poll.until("migration " + id + " done", Duration.ofSeconds(180), () -> {
        JsonNode m = json(cluster.send(req(a, "/api/migrations/" + id, ADMIN_TOKEN).GET()));
        String phase = m.get("phase").asText();
        if (phase.equals("failed") || phase.equals("cancelled")) {
          throw new AssertionError("migration ended " + phase + ": " + m);
        }
        return phase.equals("done");
      });
      Map<String, Integer> atDone = Map.copyOf(increments);
      inc.close();
      assertThat(inc.errors).as("failed transactions").isEmpty();
      for (String c : counters) {
        assertThat(atDone.get(c)).as("increments of %s during the migration", c).isGreaterThan(atStart.get(c));
      }
    }
    HashRing after = a.meta().snapshot().ring().toRing();
    for (String c : counters) {
      assertThat(counterValue(c)).as(c).isEqualTo(increments.get(c));
    }
    for (String c : moving) {
      assertThat(after.groupFor(c.getBytes(StandardCharsets.UTF_8))).isEqualTo("g3");
    }
  }
}
