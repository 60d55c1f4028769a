package io.kvpipe.testsupport.robust;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvpipe.testsupport.check.Op;
import io.kvpipe.testsupport.load.KvHttp;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * One client putting short-lived values (TTL 1-5 s; a few puts without TTL) on keys of their own
 * ({@code <prefix>-ttl-<i>}), kept out of the linearizability history: the register model has no expiry. One thread,
 * so the writes of a key are issued one after another; each is kept with the wall-clock times of its call and return
 * (the leader stamps its entry between them, so the deadline lies within [call + ttl, return + ttl] on this box's
 * clock), written to {@code ttl.jsonl}.
 */
public final class TtlClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One put; {@code ttlMs} 0 for none; wall times in epoch ms; {@code created} as answered (null if not OK). */
  public record Write(long id, String key, String value, long ttlMs, Op.Outcome outcome, long version,
                      Boolean created, long callWallMs, long retWallMs, String note) {
    public long earliestDeadline() {
      return callWallMs + ttlMs;
    }

    public long latestDeadline() {
      return retWallMs + ttlMs;
    }
  }

  private final int keys;
  private final long seed;
  private final String keyPrefix;
  private final Supplier<KvHttp> proxy;
  private final HistoryRecorder ids;
  private final JsonLinesFile out;
  private final List<Write> writes = new ArrayList<>();
  private final AtomicBoolean running = new AtomicBoolean();
  private Thread thread;

  /** @param ids the run's history, for operation ids only (these writes are not put into it) */
  public TtlClient(int keys, long seed, String keyPrefix, Supplier<KvHttp> proxy, HistoryRecorder ids, Path file) {
    this.keys = keys;
    this.seed = seed;
    this.keyPrefix = keyPrefix;
    this.proxy = proxy;
    this.ids = ids;
    this.out = new JsonLinesFile(file);
  }

  public String key(int i) {
    return keyPrefix + "-ttl-" + i;
  }

  public List<String> keys() {
    List<String> all = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      all.add(key(i));
    }
    return all;
  }

  public void start() {
    if (!running.compareAndSet(false, true)) {
      throw new IllegalStateException("already running");
    }
    thread = Thread.ofPlatform().name("ttl-client").start(this::run);
  }

  public void stop() throws InterruptedException {
    running.set(false);
    if (thread != null) {
      thread.join();
    }
  }

  public synchronized List<Write> writes() {
    return List.copyOf(writes);
  }

  private void run() {
    Random random = new Random(seed * 31 + 17);
    long n = 0;
    while (running.get()) {
      String key = key(random.nextInt(keys));
      long ttl = random.nextDouble() < 0.85 ? 1_000 + random.nextInt(4_001) : 0;
      record(put(key, "ttl-" + n++, ttl));
      try {
        Thread.sleep(80); // pacing: about 12 puts a second, so each key is re-put every few seconds
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private Write put(String key, String value, long ttlMs) {
    long id = ids.nextId();
    long call = System.currentTimeMillis();
    String path = "/v1/kv/" + URLEncoder.encode(key, StandardCharsets.UTF_8) + (ttlMs > 0 ? "?ttl=" + ttlMs + "ms" : "");
    try {
      KvHttp.Response r = proxy.get().send("PUT", path, value.getBytes(StandardCharsets.UTF_8));
      long ret = System.currentTimeMillis();
      if (r.ok()) {
        return new Write(id, key, value, ttlMs, Op.Outcome.OK, r.version(), r.status() == 201, call, ret, null);
      }
      Op.Outcome o = RegisterWorkload.refusal(r.status());
      return new Write(id, key, value, ttlMs, o == Op.Outcome.MISMATCH ? Op.Outcome.UNKNOWN : o, 0, null, call, ret,
          Integer.toString(r.status()));
    } catch (Exception e) {
      return new Write(id, key, value, ttlMs, Op.Outcome.UNKNOWN, 0, null, call, System.currentTimeMillis(),
          e.getClass().getSimpleName());
    }
  }

  private synchronized void record(Write w) {
    writes.add(w);
    ObjectNode n = JSON.createObjectNode().put("id", w.id()).put("k", w.key()).put("v", w.value())
        .put("ttlMs", w.ttlMs()).put("out", w.outcome().name().toLowerCase()).put("ver", w.version())
        .put("callWallMs", w.callWallMs()).put("retWallMs", w.retWallMs());
    if (w.created() != null) {
      n.put("created", w.created());
    }
    if (w.note() != null) {
      n.put("note", w.note());
    }
    out.append(n, true);
  }

  /** The writes as history operations (puts, unconditional), for the archive's exactly-once check. */
  public List<Op> asOps() {
    List<Op> ops = new ArrayList<>();
    for (Write w : writes()) {
      ops.add(new Op(w.id(), -2, w.key(), Op.Kind.PUT, Op.ANY, w.value(), w.outcome(), false, w.version(),
          w.created(), 0, Math.max(0, w.retWallMs() - w.callWallMs()), "ttl " + w.ttlMs() + " ms"));
    }
    return ops;
  }

  /** Stops the client if it still runs (a run that failed midway), then closes its file. */
  @Override
  public void close() throws InterruptedException {
    stop();
    out.close();
  }
}
