package io.kvpipe.proxy.kv;

import io.kvpipe.client.RaftErrors;
import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.Limits;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.topology.Migration;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.proxy.ProxyMetrics;
import io.kvpipe.proxy.http.Exchange;
import io.kvpipe.proxy.http.KeyPath;
import io.kvpipe.proxy.topology.TopologySource;
import io.kvpipe.proxy.topology.TopologyView;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code GET /v1/kv?prefix=P} or {@code ?start=A&end=B} (end exclusive) [{@code &limit=N&values=true&token=T}]:
 * live keys in key order (unsigned UTF-8 bytes, i.e. code point order) across every group, a page at a time.
 *
 * <p>A page is built in rounds. Each round reads one key-ordered page from every group on the ring (old owners of a
 * migration's moving ranges first, then the others, so a key copied and purged between the two reads is still seen by
 * one of them), checks that each group still owns what this proxy's ring says (else the ring is stale: reload, retry
 * the round), and merges the pages by the ownership rules of {@link ScanMerge}. Every group page is a linearizable
 * read; the scan as a whole is not a snapshot (see docs/scan.md).
 *
 * <p>Runs on a virtual thread per request, which waits for the groups; no Jetty thread does.
 */
public final class ScanApi {
  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 1000;
  /** Bytes of values one group page may carry, so a page of large values stays a modest Raft read reply. */
  static final int GROUP_PAGE_BYTES = 4 << 20;
  /** Rounds per HTTP page: a range full of tombstones answers with a token rather than walking on unbounded. */
  static final int MAX_ROUNDS = 64;
  private static final long BACKOFF_MS = 50;
  private static final Base64.Encoder B64 = Base64.getEncoder();

  private final TopologySource watcher;
  private final GroupClients groups;
  private final ProxyMetrics metrics;
  private final Duration requestTimeout;
  private final long maxResponseBytes;
  private final ExecutorService runner = Executors.newVirtualThreadPerTaskExecutor();
  private final AtomicReference<Plan> lastPlan = new AtomicReference<>();

  public ScanApi(TopologySource watcher, GroupClients groups, ProxyMetrics metrics, Duration requestTimeout,
                 long maxResponseBytes) {
    this.watcher = watcher;
    this.groups = groups;
    this.metrics = metrics;
    this.requestTimeout = requestTimeout;
    this.maxResponseBytes = maxResponseBytes;
  }

  /** What one request asks for; {@code from} is where this page starts (inclusive). */
  record Params(byte[] start, byte[] end, byte[] from, int limit, boolean values) {}

  private static final java.util.Set<String> PARAMS = java.util.Set.of("prefix", "start", "end", "limit", "values",
      "consistency", "token");

  /**
   * Parses and checks the query string, strictly (as a watch does): an unknown or repeated parameter, a bad
   * percent-escape, invalid UTF-8 or a bound over 512 bytes is a 400 naming the reason, as are bad bounds, limits and
   * tokens. Prefix and bounds are percent-encoded UTF-8, {@code +} a space.
   */
  static Params parse(String rawQuery) {
    Map<String, String> q = new HashMap<>();
    if (rawQuery != null && !rawQuery.isEmpty()) {
      for (String part : rawQuery.split("&", -1)) {
        if (part.isEmpty()) {
          continue;
        }
        int eq = part.indexOf('=');
        String name = eq < 0 ? part : part.substring(0, eq);
        if (!PARAMS.contains(name)) {
          throw bad("unknown query parameter '" + (name.length() <= 32 ? name : name.substring(0, 32) + "...")
              + "' (use prefix or start/end, limit, values, token)");
        }
        if (q.putIfAbsent(name, eq < 0 ? "" : part.substring(eq + 1)) != null) {
          throw bad("query parameter '" + name + "' given twice");
        }
      }
    }
    String prefix = q.get("prefix");
    String startText = q.get("start");
    String endText = q.get("end");
    if (prefix != null && (startText != null || endText != null)) {
      throw bad("give either prefix or start/end, not both");
    }
    byte[] start;
    byte[] end;
    if (prefix != null) {
      start = bound(prefix, "prefix");
      end = ScanMerge.prefixEnd(start);
    } else {
      start = startText == null ? new byte[0] : bound(startText, "start");
      end = endText == null ? null : bound(endText, "end");
      if (end != null && end.length == 0) {
        throw bad("end must not be empty (leave it out for no upper bound)");
      }
      if (end != null && Arrays.compareUnsigned(start, end) >= 0) {
        throw bad("start must sort before end (end is exclusive)");
      }
    }
    long limit = DEFAULT_LIMIT;
    if (q.containsKey("limit")) {
      try {
        limit = Long.parseLong(q.get("limit"));
      } catch (NumberFormatException e) {
        throw bad("limit must be an integer within 1.." + MAX_LIMIT);
      }
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      throw bad("limit must be within 1.." + MAX_LIMIT + ", got " + limit);
    }
    String values = q.get("values");
    if (values != null && !values.equals("true") && !values.equals("false")) {
      throw bad("values must be true or false");
    }
    String consistency = q.get("consistency");
    if (consistency != null && !consistency.equals("linearizable")) {
      throw bad("a scan reads each group linearizably; consistency=" + abbreviate(consistency)
          + " is not supported");
    }
    String token = q.get("token");
    byte[] from = token == null || token.isEmpty() ? start : ScanToken.decode(token, start, end);
    return new Params(start, end, from, (int) limit, "true".equals(values));
  }

  private static String abbreviate(String s) {
    return s.length() <= 32 ? s : s.substring(0, 32) + "...";
  }

  private static byte[] bound(String raw, String name) {
    if (raw.isEmpty()) {
      return new byte[0];
    }
    try {
      if (raw.length() > 3 * Limits.MAX_KEY_BYTES) {
        throw new KvException(ErrorCode.INVALID_KEY, "longer than " + Limits.MAX_KEY_BYTES + " bytes");
      }
      return KeyPath.decode(raw.replace("+", "%20"));
    } catch (KvException e) {
      throw new KvException(e.code(), name + ": " + e.getMessage());
    }
  }

  private static KvException bad(String why) {
    return new KvException(ErrorCode.MALFORMED_REQUEST, why);
  }

  public void scan(Exchange ex) {
    Params p = parse(ex.query());
    runner.execute(() -> {
      try {
        ex.sendJson(200, page(p, ex.startNanos()));
      } catch (Throwable t) {
        ex.fail(t);
      }
    });
  }

  /** The exclusive end of a prefix's key range; null when the prefix is all 0xFF bytes (no end). */
  public static byte[] prefixEnd(byte[] prefix) {
    return ScanMerge.prefixEnd(prefix);
  }

  /** One page of live records in key order; {@code resumeFrom} is where the next page starts (null: done). */
  public record Page(List<Entry> items, byte[] resumeFrom) {}

  /**
   * One page for another front end (the Redis protocol): keys in {@code [start, end)} (end null: unbounded) from
   * {@code from} on, at most {@code limit} (1..{@link #MAX_LIMIT}), on a virtual thread of this API's.
   */
  public CompletableFuture<Page> pageAsync(byte[] start, byte[] end, byte[] from, int limit, boolean values,
                                           long startNanos) {
    Params p = new Params(start, end, from, Math.max(1, Math.min(MAX_LIMIT, limit)), values);
    return CompletableFuture.supplyAsync(() -> entries(p, startNanos), runner);
  }

  /** One HTTP page as JSON. */
  Map<String, Object> page(Params p, long startNanos) {
    Page page = entries(p, startNanos);
    List<Map<String, Object>> items = new ArrayList<>(page.items().size());
    for (Entry e : page.items()) {
      Map<String, Object> item = new LinkedHashMap<>();
      item.put("key", e.keyString());
      item.put("version", e.version());
      if (p.values()) {
        item.put("value", B64.encodeToString(e.value()));
      }
      items.add(item);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("items", items);
    if (page.resumeFrom() != null) {
      body.put("next", ScanToken.encode(page.resumeFrom()));
    }
    return body;
  }

  /** Rounds until the limit, the byte bound, the end of the range, or the round/time budget. */
  private Page entries(Params p, long startNanos) {
    long deadline = startNanos + requestTimeout.toNanos();
    long soft = startNanos + requestTimeout.toNanos() / 2;
    List<Entry> out = new ArrayList<>();
    long bytes = 0;
    byte[] from = p.from();
    int rounds = 0;
    int retries = 0;
    while (from != null && out.size() < p.limit() && bytes < maxResponseBytes && rounds < MAX_ROUNDS
        && !(rounds > 0 && System.nanoTime() > soft)) {
      try {
        ScanMerge.Result r = round(from, p, p.limit() - out.size(), maxResponseBytes - bytes, deadline);
        out.addAll(r.items());
        bytes += r.valueBytes();
        from = r.resumeFrom();
        rounds++;
      } catch (RetryRound e) {
        long delay = Math.min(500, BACKOFF_MS << Math.min(retries++, 3));
        if (deadline - System.nanoTime() <= TimeUnit.MILLISECONDS.toNanos(delay)) {
          if (rounds > 0) {
            break;
          }
          throw e.cause;
        }
        metrics.retry("scan_" + e.reason);
        try {
          watcher.refresh().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new KvException(ErrorCode.UNAVAILABLE, "interrupted");
        } catch (ExecutionException | TimeoutException ignored) {
          // The retry below reads whatever topology is current by then.
        }
        sleep(delay);
      }
    }
    return new Page(out, from);
  }

  /** A round failed in a way a new round (after reloading the topology) may not: stale ring, leader change, ... */
  private static final class RetryRound extends RuntimeException {
    final String reason;
    final KvException cause;

    RetryRound(String reason, KvException cause) {
      super(cause.getMessage(), null, false, false);
      this.reason = reason;
      this.cause = cause;
    }
  }

  private ScanMerge.Result round(byte[] from, Params p, int want, long maxBytes, long deadline) {
    TopologyView v = watcher.current();
    if (!v.isReady()) {
      throw new RetryRound("unavailable", new KvException(ErrorCode.UNAVAILABLE, "no topology loaded yet"));
    }
    Plan plan = plan(v);
    int pageLimit = Math.min(Query.MAX_ITEMS, want + 32);
    int pageBytes = (int) Math.max(1, Math.min(GROUP_PAGE_BYTES, maxBytes));
    Map<String, Reply.KeyPage> pages = new HashMap<>();
    for (List<String> phase : List.of(plan.oldOwnersFirst(), plan.others())) {
      Map<String, CompletableFuture<Reply.KeyPage>> calls = new LinkedHashMap<>();
      for (String g : phase) {
        ShardGroupClient c = groups.get(g);
        if (c == null) {
          throw new RetryRound("wrong_group", new KvException(ErrorCode.WRONG_GROUP, "no client for group " + g
              + " yet"));
        }
        long remaining = deadline - System.nanoTime();
        calls.put(g, remaining <= 0 ? CompletableFuture.failedFuture(new TimeoutException())
            : c.keyScanAsync(from, p.end(), pageLimit, p.values(), pageBytes).orTimeout(remaining,
                TimeUnit.NANOSECONDS));
      }
      for (Map.Entry<String, CompletableFuture<Reply.KeyPage>> call : calls.entrySet()) {
        String g = call.getKey();
        Reply.KeyPage page = await(g, call.getValue());
        HashRanges expected = plan.owned().getOrDefault(g, HashRanges.EMPTY);
        if (!expected.minus(page.owned()).isEmpty()) {
          throw new RetryRound("stale_ring", new KvException(ErrorCode.WRONG_GROUP, "group " + g + " no longer owns"
              + " all the ranges this proxy's ring (topology version " + v.version() + ") gives it"));
        }
        pages.put(g, page);
      }
    }
    return ScanMerge.merge(pages, plan.owners(), want, maxBytes);
  }

  private Reply.KeyPage await(String group, CompletableFuture<Reply.KeyPage> call) {
    try {
      Reply.KeyPage page = call.join();
      groups.succeeded(group);
      return page;
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      Throwable t = RaftErrors.unwrap(e);
      KvException kv = t instanceof TimeoutException
          ? new KvException(ErrorCode.TIMEOUT, "scan did not complete within " + requestTimeout.toMillis() + " ms")
          : t instanceof KvException k ? k : RaftErrors.toKvException(t, group);
      if (kv.code() == ErrorCode.TIMEOUT) {
        groups.timedOut(group);
      }
      if (kv.code().retriable() || kv.code() == ErrorCode.UNKNOWN_GROUP) {
        throw new RetryRound(kv.code().name().toLowerCase(java.util.Locale.ROOT), kv);
      }
      throw kv;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KvException(ErrorCode.UNAVAILABLE, "interrupted");
    }
  }

  /**
   * Which groups a round reads, in which order, and what each must own for the round's ring to be current. Built
   * once per topology version.
   */
  record Plan(long version, List<String> oldOwnersFirst, List<String> others, Map<String, HashRanges> owned,
              ScanMerge.Owners owners) {}

  private Plan plan(TopologyView v) {
    Plan cached = lastPlan.get();
    if (cached != null && cached.version() == v.version()) {
      return cached;
    }
    Plan p = planOf(v);
    lastPlan.set(p);
    return p;
  }

  /**
   * Old owners: the groups that hand ranges over in the migration whose ring is the current one (and are still in the
   * topology); they are read before the others (their records of moving keys are final, and a key is purged from
   * them only after it was copied to its new owner).
   */
  static Plan planOf(TopologyView v) {
    Map<String, HashRanges> owned = v.ownership();
    List<String> first = new ArrayList<>();
    if (v.migrationToken() != null) {
      Migration m = v.topology().inFlightMigration().orElse(null);
      if (m != null && m.previousRing() != null) {
        for (Map.Entry<String, HashRanges> before : m.previousRing().toRing().ownership().entrySet()) {
          String g = before.getKey();
          if (v.topology().group(g).isPresent()
              && !before.getValue().minus(owned.getOrDefault(g, HashRanges.EMPTY)).isEmpty()) {
            first.add(g);
          }
        }
      }
    }
    List<String> others = new ArrayList<>();
    for (String g : owned.keySet()) {
      if (!first.contains(g)) {
        others.add(g);
      }
    }
    boolean newerOfBoth = v.oldRecordsOnNewOwner();
    ScanMerge.Owners owners = new ScanMerge.Owners() {
      @Override
      public String owner(byte[] key) {
        return v.groupFor(key);
      }

      @Override
      public String fallback(byte[] key) {
        return v.fallbackGroupFor(key);
      }

      @Override
      public boolean newerOfBoth() {
        return newerOfBoth;
      }
    };
    return new Plan(v.version(), List.copyOf(first), List.copyOf(others), owned, owners);
  }
}
