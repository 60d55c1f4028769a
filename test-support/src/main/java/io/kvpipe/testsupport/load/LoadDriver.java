package io.kvpipe.testsupport.load;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Client threads writing, reading and deleting continuously through the proxy's HTTP API, checking as they go:
 * every request succeeds, every acknowledged version of a key exceeds the previous one, every read is at least as
 * new as the newest write acknowledged before it started, and every value read belongs to its key. Each thread writes
 * only its own keys (see {@link KeySpace}) and reads anyone's. {@link #verifyFinal} then compares what the proxy
 * serves with the model. The proxy to use is asked for per request, so a test can move the load between proxies.
 */
public final class LoadDriver {
  private static final int MAX_SAMPLES = 20;
  /** Keys per batch put while filling: with values up to 20 KiB the body stays well under the proxy's limit. */
  private static final int FILL_BATCH = 25;

  private final Supplier<KvHttp> proxy;
  private final LoadSettings settings;
  private final KeySpace keys;
  private final List<String> allKeys;
  private final KeyModel model = new KeyModel();
  private final AtomicBoolean running = new AtomicBoolean();
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicLong attempts = new AtomicLong();
  private final AtomicLong puts = new AtomicLong();
  private final AtomicLong gets = new AtomicLong();
  private final AtomicLong deletes = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong stale = new AtomicLong();
  private final AtomicLong regressions = new AtomicLong();
  private final AtomicLong foreign = new AtomicLong();
  private final List<String> samples = Collections.synchronizedList(new ArrayList<>());

  public LoadDriver(Supplier<KvHttp> proxy, LoadSettings settings) {
    this.proxy = proxy;
    this.settings = settings;
    this.keys = new KeySpace(settings.threads(), settings.keysPerThread(), settings.longKeyFraction(),
        settings.seed());
    this.allKeys = keys.all();
  }

  public KeyModel model() {
    return model;
  }

  public List<String> keys() {
    return allKeys;
  }

  /**
   * Writes every key once (all threads in parallel, in batch puts so it takes seconds, not minutes) and returns when
   * done; a failed batch counts its keys as failed requests.
   */
  public void fill() throws InterruptedException {
    List<Thread> fillers = new ArrayList<>();
    for (int t = 0; t < keys.threads(); t++) {
      int thread = t;
      Random random = new Random(settings.seed() * 31 + t);
      fillers.add(Thread.ofPlatform().name("load-fill-" + t).start(() -> {
        List<String> own = keys.keysOf(thread);
        for (int from = 0; from < own.size(); from += FILL_BATCH) {
          fillBatch(own.subList(from, Math.min(own.size(), from + FILL_BATCH)), random);
        }
      }));
    }
    for (Thread f : fillers) {
      f.join();
    }
  }

  private void fillBatch(List<String> batch, Random random) {
    List<byte[]> values = new ArrayList<>();
    for (String key : batch) {
      values.add(Values.make(key, attempts.incrementAndGet(), Values.randomSize(random, settings.maxValueBytes())));
    }
    KvHttp.Response[] failure = new KvHttp.Response[1];
    long[] versions;
    try {
      versions = proxy.get().batchPut(batch, values, failure);
    } catch (Exception e) {
      versions = null;
      failure[0] = new KvHttp.Response(0, 0, e.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    if (versions == null) {
      for (String key : batch) {
        failed(key, "batch PUT of " + batch.size() + " keys -> " + failure[0].status() + " " + failure[0].bodyText());
      }
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      puts.incrementAndGet();
      if (model.acked(batch.get(i), versions[i], values.get(i)) != 0) {
        regressions.incrementAndGet();
        sample("batch PUT " + shortKey(batch.get(i)) + " acknowledged a version not above the previous one");
      }
    }
  }

  /** Starts the mixed load on its threads. */
  public void start() {
    if (!running.compareAndSet(false, true)) {
      throw new IllegalStateException("already running");
    }
    for (int t = 0; t < keys.threads(); t++) {
      int thread = t;
      threads.add(Thread.ofPlatform().name("load-" + t).start(() -> run(thread)));
    }
  }

  /** Stops the load and waits for every in-flight request to finish. */
  public LoadReport stop() throws InterruptedException {
    running.set(false);
    for (Thread t : threads) {
      t.join();
    }
    threads.clear();
    return report();
  }

  public LoadReport report() {
    return new LoadReport(puts.get(), gets.get(), deletes.get(), failures.get(), stale.get(), regressions.get(),
        foreign.get(), List.copyOf(samples));
  }

  /** Acknowledged writes so far (puts and deletes). */
  public long acknowledged() {
    return puts.get() + deletes.get();
  }

  public long operations() {
    return puts.get() + gets.get() + deletes.get();
  }

  private void run(int thread) {
    Random random = new Random(settings.seed() * 7919 + thread);
    List<String> own = keys.keysOf(thread);
    while (running.get()) {
      double p = random.nextDouble();
      if (p < settings.readFraction()) {
        read(allKeys.get(random.nextInt(allKeys.size())));
      } else if (p < settings.readFraction() + settings.deleteFraction()) {
        delete(own.get(random.nextInt(own.size())));
      } else {
        put(own.get(random.nextInt(own.size())), random);
      }
      if (settings.pauseMillis() > 0) {
        try {
          Thread.sleep(settings.pauseMillis()); // pacing the load, not waiting for a condition
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private void put(String key, Random random) {
    long attempt = attempts.incrementAndGet();
    byte[] value = Values.make(key, attempt, Values.randomSize(random, settings.maxValueBytes()));
    try {
      KvHttp.Response r = proxy.get().put(key, value);
      if (!r.ok() || r.version() <= 0) {
        failed(key, "PUT " + shortKey(key) + " -> " + r.status() + " " + r.bodyText());
        return;
      }
      puts.incrementAndGet();
      long prev = model.acked(key, r.version(), value);
      if (prev != 0) {
        regressions.incrementAndGet();
        sample("PUT " + shortKey(key) + " acknowledged version " + r.version() + " <= previous " + prev);
      }
    } catch (Exception e) {
      failed(key, "PUT " + shortKey(key) + " -> " + e);
    }
  }

  private void delete(String key) {
    model.deleteStarting(key);
    try {
      KvHttp.Response r = proxy.get().delete(key);
      if (!r.ok() || r.version() <= 0) {
        failed(key, "DELETE " + shortKey(key) + " -> " + r.status() + " " + r.bodyText());
        return;
      }
      deletes.incrementAndGet();
      long prev = model.acked(key, r.version(), null);
      if (prev != 0) {
        regressions.incrementAndGet();
        sample("DELETE " + shortKey(key) + " acknowledged version " + r.version() + " <= previous " + prev);
      }
    } catch (Exception e) {
      failed(key, "DELETE " + shortKey(key) + " -> " + e);
    } finally {
      model.deleteAnswered(key);
    }
  }

  private void read(String key) {
    long deletesAnswered = model.deletesAnswered(key);
    KeyModel.State before = model.get(key);
    KvHttp.Response r;
    try {
      r = proxy.get().get(key);
    } catch (Exception e) {
      failures.incrementAndGet();
      sample("GET " + shortKey(key) + " -> " + e);
      return;
    }
    if (r.status() != 200 && r.status() != 404) {
      failures.incrementAndGet();
      sample("GET " + shortKey(key) + " -> " + r.status() + " " + r.bodyText());
      return;
    }
    gets.incrementAndGet();
    // A 404 may be a delete applied while the read ran (in flight when it started, or sent since).
    boolean concurrentDelete = r.status() == 404 && model.deleteSentSince(key, deletesAnswered);
    String problem = concurrentDelete ? null : freshness(key, before, r);
    if (problem != null) {
      if (problem.startsWith("foreign")) {
        foreign.incrementAndGet();
      } else {
        stale.incrementAndGet();
      }
      sample(problem);
    }
  }

  /** Null if a read answered {@code r} is legal given the key's state {@code before} it started. */
  static String freshness(String key, KeyModel.State before, KvHttp.Response r) {
    if (r.status() == 404) {
      if (before == null || before.deleted() || before.uncertain()) {
        return null;
      }
      return "stale read of " + shortKey(key) + ": not found, but version " + before.version()
          + " was acknowledged before the read";
    }
    if (!Values.belongsTo(r.body(), key)) {
      return "foreign value read for " + shortKey(key) + " at version " + r.version();
    }
    if (before == null) {
      return null;
    }
    if (r.version() < before.version()) {
      return "stale read of " + shortKey(key) + ": version " + r.version() + " < acknowledged " + before.version();
    }
    if (r.version() == before.version() && (before.deleted() || !Arrays.equals(before.value(), r.body()))) {
      return "read of " + shortKey(key) + " at acknowledged version " + r.version() + " returned another value";
    }
    return null;
  }

  /**
   * Reads every key once through {@code via} and compares with the model (run after {@link #stop}); returns one line
   * per mismatch. Uncertain keys may hold either outcome and are only checked for belonging to their key.
   */
  public List<String> verifyFinal(KvHttp via) throws Exception {
    List<String> mismatches = new ArrayList<>();
    for (String key : allKeys) {
      KeyModel.State s = model.get(key);
      KvHttp.Response r = via.get(key);
      if (r.status() != 200 && r.status() != 404) {
        mismatches.add("final GET " + shortKey(key) + " -> " + r.status() + " " + r.bodyText());
        continue;
      }
      if (s == null || s.uncertain()) {
        if (r.status() == 200 && !Values.belongsTo(r.body(), key)) {
          mismatches.add("final value of " + shortKey(key) + " belongs to another key");
        }
        continue;
      }
      if (s.deleted()) {
        if (r.status() != 404) {
          mismatches.add("final " + shortKey(key) + ": deleted at version " + s.version() + " but has version "
              + r.version());
        }
      } else if (r.status() == 404) {
        mismatches.add("final " + shortKey(key) + ": acknowledged version " + s.version() + " lost (not found)");
      } else if (r.version() != s.version() || !Arrays.equals(r.body(), s.value())) {
        mismatches.add("final " + shortKey(key) + ": acknowledged version " + s.version() + " but found version "
            + r.version() + (r.version() == s.version() ? " with another value" : ""));
      }
    }
    return mismatches;
  }

  private void failed(String key, String what) {
    failures.incrementAndGet();
    model.uncertain(key);
    sample(what);
  }

  private void sample(String what) {
    if (samples.size() < MAX_SAMPLES) {
      samples.add(what);
    }
  }

  static String shortKey(String key) {
    return key.length() <= 24 ? key : key.substring(0, 20) + "...(" + key.length() + "B)";
  }
}
