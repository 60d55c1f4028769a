package io.kvpipe.testsupport.robust;

import io.kvpipe.testsupport.check.Op;
import io.kvpipe.testsupport.load.KvHttp;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The robustness suite's clients: threads spread over the proxies, each doing gets, puts, deletes and conditional
 * writes ({@code If-Match} with the version it last saw, {@code If-None-Match: *}) on a few hot keys (so operations
 * conflict) and many cold ones, closed loop with a short pause. Every value is unique ({@code c<client>-<n>}), so a
 * read names the write it saw. Each operation is recorded as the client saw it: ok, refused (412: a version
 * mismatch, which says something; 400/404/409/413: did not happen) or unknown (503/504, another 5xx, no answer).
 * Keys carry the run's prefix, so every key starts absent.
 */
public final class RegisterWorkload {
  private static final Pattern EXISTED = Pattern.compile("\"existed\":(true|false)");

  /** The shape of the load. */
  public record Settings(int clients, int hotKeys, int coldKeys, double hotFraction, long seed, int pauseMillis,
                         String keyPrefix) {
    public static Settings defaults(long seed, String keyPrefix) {
      return new Settings(8, 6, 2_000, 0.5, seed, 5, keyPrefix);
    }
  }

  private final Settings settings;
  private final IntFunction<KvHttp> proxyOfClient;
  private final HistoryRecorder recorder;
  private final AtomicBoolean running = new AtomicBoolean();
  private final List<Thread> threads = new ArrayList<>();

  /** @param proxyOfClient the proxy client {@code i} talks to (asked per operation) */
  public RegisterWorkload(Settings settings, IntFunction<KvHttp> proxyOfClient, HistoryRecorder recorder) {
    this.settings = settings;
    this.proxyOfClient = proxyOfClient;
    this.recorder = recorder;
  }

  public void start() {
    if (!running.compareAndSet(false, true)) {
      throw new IllegalStateException("already running");
    }
    for (int c = 0; c < settings.clients(); c++) {
      int client = c;
      threads.add(Thread.ofPlatform().name("workload-" + c).start(() -> run(client)));
    }
  }

  /** Stops the clients and waits for their operations in flight to be answered (or to time out). */
  public void stop() throws InterruptedException {
    running.set(false);
    for (Thread t : threads) {
      t.join();
    }
    threads.clear();
  }

  public String key(boolean hot, int i) {
    return settings.keyPrefix() + (hot ? "-hot-" : "-cold-") + i;
  }

  /** Every key the workload may touch. */
  public List<String> keys() {
    List<String> all = new ArrayList<>();
    for (int i = 0; i < settings.hotKeys(); i++) {
      all.add(key(true, i));
    }
    for (int i = 0; i < settings.coldKeys(); i++) {
      all.add(key(false, i));
    }
    return all;
  }

  private void run(int client) {
    Random random = new Random(settings.seed() * 1_000_003 + client);
    Map<String, Long> seen = new HashMap<>();
    long n = 0;
    while (running.get()) {
      boolean hot = random.nextDouble() < settings.hotFraction();
      String key = key(hot, random.nextInt(hot ? settings.hotKeys() : settings.coldKeys()));
      double p = random.nextDouble();
      Long last = seen.get(key);
      Op op;
      if (p < 0.40) {
        op = get(client, key);
      } else if (p < 0.72) {
        op = put(client, key, "c" + client + "-" + n++, Op.ANY);
      } else if (p < 0.80) {
        op = delete(client, key, Op.ANY);
      } else if (p < 0.92) {
        op = put(client, key, "c" + client + "-" + n++, last == null || last == 0 ? Op.NONE : last);
      } else if (p < 0.96) {
        op = put(client, key, "c" + client + "-" + n++, Op.NONE);
      } else {
        op = delete(client, key, last == null || last == 0 ? 1 : last);
      }
      recorder.record(op);
      if (op.outcome() == Op.Outcome.OK) {
        seen.put(key, op.kind() == Op.Kind.GET && !op.found() || op.kind() == Op.Kind.DELETE ? 0 : op.version());
      }
      if (settings.pauseMillis() > 0) {
        try {
          Thread.sleep(settings.pauseMillis()); // pacing the clients on a small box, not waiting for a condition
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private String path(String key) {
    return "/v1/kv/" + URLEncoder.encode(key, StandardCharsets.UTF_8);
  }

  private Op get(int client, String key) {
    long id = recorder.nextId();
    long call = recorder.now();
    try {
      KvHttp.Response r = proxyOfClient.apply(client).send("GET", path(key), null);
      long ret = recorder.now();
      if (r.status() == 200) {
        return new Op(id, client, key, Op.Kind.GET, Op.ANY, new String(r.body(), StandardCharsets.UTF_8),
            Op.Outcome.OK, true, r.version(), null, call, ret, null);
      }
      if (r.status() == 404) {
        return new Op(id, client, key, Op.Kind.GET, Op.ANY, null, Op.Outcome.OK, false, 0, null, call, ret, null);
      }
      return new Op(id, client, key, Op.Kind.GET, Op.ANY, null, Op.Outcome.UNKNOWN, false, 0, null, call, ret,
          note(r));
    } catch (Exception e) {
      return new Op(id, client, key, Op.Kind.GET, Op.ANY, null, Op.Outcome.UNKNOWN, false, 0, null, call,
          recorder.now(), e.getClass().getSimpleName());
    }
  }

  private Op put(int client, String key, String value, long expected) {
    long id = recorder.nextId();
    long call = recorder.now();
    try {
      KvHttp.Response r = proxyOfClient.apply(client).send("PUT", path(key),
          value.getBytes(StandardCharsets.UTF_8), condition(expected));
      long ret = recorder.now();
      if (r.ok()) {
        return new Op(id, client, key, Op.Kind.PUT, expected, value, Op.Outcome.OK, false, r.version(),
            r.status() == 201, call, ret, null);
      }
      return new Op(id, client, key, Op.Kind.PUT, expected, value, refusal(r.status()), false, 0, null, call, ret,
          note(r));
    } catch (Exception e) {
      return new Op(id, client, key, Op.Kind.PUT, expected, value, Op.Outcome.UNKNOWN, false, 0, null, call,
          recorder.now(), e.getClass().getSimpleName());
    }
  }

  private Op delete(int client, String key, long expected) {
    long id = recorder.nextId();
    long call = recorder.now();
    try {
      KvHttp.Response r = proxyOfClient.apply(client).send("DELETE", path(key), null, condition(expected));
      long ret = recorder.now();
      if (r.ok()) {
        Matcher m = EXISTED.matcher(r.bodyText());
        Boolean existed = m.find() ? Boolean.valueOf(m.group(1)) : null;
        return new Op(id, client, key, Op.Kind.DELETE, expected, null, Op.Outcome.OK, false, r.version(), existed,
            call, ret, null);
      }
      return new Op(id, client, key, Op.Kind.DELETE, expected, null, refusal(r.status()), false, 0, null, call, ret,
          note(r));
    } catch (Exception e) {
      return new Op(id, client, key, Op.Kind.DELETE, expected, null, Op.Outcome.UNKNOWN, false, 0, null, call,
          recorder.now(), e.getClass().getSimpleName());
    }
  }

  private static String[] condition(long expected) {
    if (expected == Op.ANY) {
      return new String[0];
    }
    return expected == Op.NONE ? new String[] {"If-None-Match", "*"}
        : new String[] {"If-Match", Long.toString(expected)};
  }

  /**
   * 412 is a version mismatch decided at the write's place in the log; 400/404/409/413 (and 401/403, which would be a
   * fixture bug) are refusals before the write could apply; anything else (503 NO_LEADER / UNAVAILABLE /
   * CDC_BACKLOG_FULL, 504 TIMEOUT, 500) does not say whether it was applied.
   */
  static Op.Outcome refusal(int status) {
    return switch (status) {
      case 412 -> Op.Outcome.MISMATCH;
      case 400, 401, 403, 404, 409, 413 -> Op.Outcome.FAILED;
      default -> Op.Outcome.UNKNOWN;
    };
  }

  private static String note(KvHttp.Response r) {
    String body = r.bodyText();
    Matcher m = Pattern.compile("\"error\":\"([A-Z_]+)\"").matcher(body);
    return r.status() + (m.find() ? " " + m.group(1) : "");
  }
}
