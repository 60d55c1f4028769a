package io.kvpipe.testsupport.robust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvpipe.testsupport.check.Op;
import io.kvpipe.testsupport.load.KvHttp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;

/**
 * Clients running two-key transactions ({@code POST /v1/txn}) on pairs of keys sharing a hash tag
 * ({@code <prefix>-txn-{pairN}a} and {@code ...b}, so one group holds both): compare both keys' versions as last
 * read, then put both with new unique values; the failure branch reads both keys. Each transaction goes into the
 * per-key history so the linearizability checker covers it key by key: a success is a conditional put on each key
 * (same call and return, the version it got); an unknown outcome an unknown conditional put on each; a failed compare
 * is, per key, a read at the entry (the failure branch's get) plus a refused conditional put (412-equivalent) on each
 * key whose own compare failed. Recording a refusal on a key whose compare held would be wrong: a transaction fails
 * when either compare fails, so the get says which. Each transaction is also kept whole ({@link Txn}) for the
 * atomicity and archive checks, and written to {@code txns.jsonl}.
 */
public final class TxnPairClients implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One transaction as its client saw it; {@code versions} of the two puts (0 unless it succeeded). */
  public record Txn(long id, int client, String keyA, String keyB, long expectedA, long expectedB, String valueA,
                    String valueB, Op.Outcome outcome, boolean succeeded, long versionA, long versionB, long call,
                    long ret, String note) {}

  private final int clients;
  private final int pairs;
  private final long seed;
  private final String keyPrefix;
  private final int clientIdBase;
  private final IntFunction<KvHttp> proxyOfClient;
  private final HistoryRecorder history;
  private final JsonLinesFile out;
  private final List<Txn> txns = new ArrayList<>();
  private final AtomicBoolean running = new AtomicBoolean();
  private final List<Thread> threads = new ArrayList<>();

  /**
   * @param clientIdBase client numbers in the history start here (apart from the register clients')
   */
  public TxnPairClients(int clients, int pairs, long seed, String keyPrefix, int clientIdBase,
                        IntFunction<KvHttp> proxyOfClient, HistoryRecorder history, Path file) {
    this.clients = clients;
    this.pairs = pairs;
    this.seed = seed;
    this.keyPrefix = keyPrefix;
    this.clientIdBase = clientIdBase;
    this.proxyOfClient = proxyOfClient;
    this.history = history;
    this.out = new JsonLinesFile(file);
  }

  public String key(int pair, char which) {
    return keyPrefix + "-txn-{pair" + pair + "}" + which;
  }

  public void start() {
    if (!running.compareAndSet(false, true)) {
      throw new IllegalStateException("already running");
    }
    for (int c = 0; c < clients; c++) {
      int client = clientIdBase + c;
      threads.add(Thread.ofPlatform().name("txn-" + c).start(() -> run(client)));
    }
  }

  public void stop() throws InterruptedException {
    running.set(false);
    for (Thread t : threads) {
      t.join();
    }
    threads.clear();
  }

  public synchronized List<Txn> txns() {
    return List.copyOf(txns);
  }

  private void run(int client) {
    Random random = new Random(seed * 7_000_003 + client);
    Map<String, Long> seen = new HashMap<>();
    long n = 0;
    while (running.get()) {
      int pair = random.nextInt(pairs);
      String a = key(pair, 'a');
      String b = key(pair, 'b');
      Txn t = txn(client, a, b, seen.getOrDefault(a, 0L), seen.getOrDefault(b, 0L), "t" + client + "-" + n++,
          "t" + client + "-" + n++, seen);
      record(t);
      try {
        Thread.sleep(20); // pacing on a small box, not waiting for a condition
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private Txn txn(int client, String a, String b, long ea, long eb, String va, String vb, Map<String, Long> seen) {
    ObjectNode body = JSON.createObjectNode();
    ArrayNode compare = body.putArray("compare");
    compare.addObject().put("key", a).put("target", "version").put("version", ea);
    compare.addObject().put("key", b).put("target", "version").put("version", eb);
    ArrayNode success = body.putArray("success");
    success.addObject().put("op", "put").put("key", a).put("value", b64(va));
    success.addObject().put("op", "put").put("key", b).put("value", b64(vb));
    ArrayNode failure = body.putArray("failure");
    failure.addObject().put("op", "get").put("key", a);
    failure.addObject().put("op", "get").put("key", b);
    long id = history.nextId();
    long call = history.now();
    KvHttp.Response r;
    try {
      r = proxyOfClient.apply(client - clientIdBase).json("POST", "/v1/txn", body.toString());
    } catch (Exception e) {
      long ret = history.now();
      unknownPuts(id, client, a, b, ea, eb, va, vb, call, ret, e.getClass().getSimpleName());
      return new Txn(id, client, a, b, ea, eb, va, vb, Op.Outcome.UNKNOWN, false, 0, 0, call, ret,
          e.getClass().getSimpleName());
    }
    long ret = history.now();
    if (r.status() != 200) {
      Op.Outcome o = r.status() == 412 ? Op.Outcome.UNKNOWN : RegisterWorkload.refusal(r.status());
      String note = "txn " + r.status() + " " + r.bodyText().replaceAll("\\s+", " ");
      if (o == Op.Outcome.UNKNOWN) {
        unknownPuts(id, client, a, b, ea, eb, va, vb, call, ret, note);
      } else {
        history.record(put(id, client, a, ea, va, Op.Outcome.FAILED, 0, null, call, ret, note));
        history.record(put(history.nextId(), client, b, eb, vb, Op.Outcome.FAILED, 0, null, call, ret, note));
      }
      return new Txn(id, client, a, b, ea, eb, va, vb, o, false, 0, 0, call, ret, note);
    }
    JsonNode reply;
    try {
      reply = JSON.readTree(r.body());
    } catch (IOException e) {
      throw new IllegalStateException("txn reply is not JSON: " + r.bodyText(), e);
    }
    boolean succeeded = reply.path("succeeded").asBoolean();
    JsonNode results = reply.path("results");
    String note = "txn#" + id;
    if (succeeded) {
      long verA = results.path(0).path("version").asLong();
      long verB = results.path(1).path("version").asLong();
      history.record(put(id, client, a, ea, va, Op.Outcome.OK, verA, flag(results.path(0)), call, ret, note));
      history.record(put(history.nextId(), client, b, eb, vb, Op.Outcome.OK, verB, flag(results.path(1)), call, ret,
          note));
      seen.put(a, verA);
      seen.put(b, verB);
      return new Txn(id, client, a, b, ea, eb, va, vb, Op.Outcome.OK, true, verA, verB, call, ret, null);
    }
    String[] keys = {a, b};
    long[] expected = {ea, eb};
    String[] values = {va, vb};
    for (int i = 0; i < 2; i++) {
      JsonNode g = results.path(i);
      boolean found = g.path("found").asBoolean();
      long version = found ? g.path("version").asLong() : 0;
      String value = found ? new String(Base64.getDecoder().decode(g.path("value").asText()), StandardCharsets.UTF_8)
          : null;
      long gid = i == 0 ? id : history.nextId();
      history.record(new Op(gid, client, keys[i], Op.Kind.GET, Op.ANY, value, Op.Outcome.OK, found, version, null,
          call, ret, note + " failure-branch get"));
      if (version != expected[i]) {
        history.record(put(history.nextId(), client, keys[i], expected[i], values[i], Op.Outcome.MISMATCH, 0, null,
            call, ret, note + " compare failed"));
      }
      seen.put(keys[i], version);
    }
    return new Txn(id, client, a, b, ea, eb, va, vb, Op.Outcome.MISMATCH, false, 0, 0, call, ret, null);
  }

  private void unknownPuts(long id, int client, String a, String b, long ea, long eb, String va, String vb, long call,
                           long ret, String note) {
    history.record(put(id, client, a, ea, va, Op.Outcome.UNKNOWN, 0, null, call, ret, note));
    history.record(put(history.nextId(), client, b, eb, vb, Op.Outcome.UNKNOWN, 0, null, call, ret, note));
  }

  private static Op put(long id, int client, String key, long expected, String value, Op.Outcome outcome,
                        long version, Boolean created, long call, long ret, String note) {
    return new Op(id, client, key, Op.Kind.PUT, expected == 0 ? Op.NONE : expected, value, outcome, false, version,
        created, call, ret, note);
  }

  private static Boolean flag(JsonNode result) {
    JsonNode c = result.get("created");
    return c == null ? null : c.asBoolean();
  }

  private static String b64(String v) {
    return Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8));
  }

  private synchronized void record(Txn t) {
    txns.add(t);
    ObjectNode n = JSON.createObjectNode().put("id", t.id()).put("c", t.client()).put("a", t.keyA())
        .put("b", t.keyB()).put("ifA", t.expectedA()).put("ifB", t.expectedB()).put("vA", t.valueA())
        .put("vB", t.valueB()).put("out", t.outcome().name().toLowerCase()).put("succeeded", t.succeeded())
        .put("verA", t.versionA()).put("verB", t.versionB()).put("call", t.call()).put("ret", t.ret());
    if (t.note() != null) {
      n.put("note", t.note());
    }
    out.append(n, txns.size() % 32 == 0);
  }

  /** Stops the client if it still runs (a run that failed midway), then closes its file. */
  @Override
  public void close() throws InterruptedException {
    stop();
    out.close();
  }
}
