package io.kvpipe.testsupport.robust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvpipe.testsupport.check.Op;
import io.kvpipe.testsupport.load.KvHttp;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * One client scanning a prefix ({@code GET /v1/kv?prefix=…&values=true&limit=…}) page by page, over and over,
 * alternating proxies between pages (a token made by one proxy must work on the other). Each returned key is also a
 * read in the history (called when its page was asked for, returned when the page came back: a group page is
 * linearizable, so the checker holds scans to the same rule as gets). Whole scans are kept ({@link Scan}) for the
 * order and completeness checks, and written to {@code scans.jsonl}.
 */
public final class ScanClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_PAGES = 2_000;

  public record Item(String key, long version, String value) {}

  public record Page(long call, long ret, List<Item> items) {}

  /** A scan; {@code error} non-null if a page failed (the scan was abandoned there: it is not judged complete). */
  public record Scan(int n, long call, long ret, List<Page> pages, String error) {
    public boolean complete() {
      return error == null;
    }

    public int keys() {
      return pages.stream().mapToInt(p -> p.items().size()).sum();
    }
  }

  private final String prefix;
  private final int limit;
  private final int client;
  private final IntFunction<KvHttp> proxies;
  private final HistoryRecorder history;
  private final Consumer<Scan> onScan;
  private final JsonLinesFile out;
  private final List<Scan> scans = new ArrayList<>();
  private final AtomicBoolean running = new AtomicBoolean();
  private Thread thread;

  /**
   * @param proxies proxy {@code i} for page {@code i} (so pages alternate between them)
   * @param client this client's number in the history
   * @param onScan told of every scan when it ends (the timeline)
   */
  public ScanClient(String prefix, int limit, int client, IntFunction<KvHttp> proxies, HistoryRecorder history,
                    Consumer<Scan> onScan, Path file) {
    this.prefix = prefix;
    this.limit = limit;
    this.client = client;
    this.proxies = proxies;
    this.history = history;
    this.onScan = onScan;
    this.out = new JsonLinesFile(file);
  }

  public String prefix() {
    return prefix;
  }

  public void start() {
    if (!running.compareAndSet(false, true)) {
      throw new IllegalStateException("already running");
    }
    thread = Thread.ofPlatform().name("scan-client").start(this::run);
  }

  public void stop() throws InterruptedException {
    running.set(false);
    if (thread != null) {
      thread.join();
    }
  }

  public synchronized List<Scan> scans() {
    return List.copyOf(scans);
  }

  private void run() {
    int n = 0;
    while (running.get()) {
      Scan s = scan(n++);
      record(s);
      onScan.accept(s);
      try {
        Thread.sleep(500); // pacing: a scan reads every cold key; leave the box to the other clients meanwhile
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private Scan scan(int n) {
    List<Page> pages = new ArrayList<>();
    long start = history.now();
    String token = null;
    String base = "/v1/kv?prefix=" + URLEncoder.encode(prefix, StandardCharsets.UTF_8) + "&limit=" + limit
        + "&values=true";
    while (true) {
      long call = history.now();
      KvHttp.Response r;
      try {
        r = proxies.apply(pages.size()).send("GET", base + (token == null ? ""
            : "&token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)), null);
      } catch (Exception e) {
        return new Scan(n, start, history.now(), pages, "page " + pages.size() + ": " + e.getClass().getSimpleName());
      }
      long ret = history.now();
      if (r.status() != 200) {
        return new Scan(n, start, ret, pages, "page " + pages.size() + ": " + r.status() + " "
            + r.bodyText().replaceAll("\\s+", " "));
      }
      JsonNode body;
      try {
        body = JSON.readTree(r.body());
      } catch (IOException e) {
        return new Scan(n, start, ret, pages, "page " + pages.size() + ": not JSON");
      }
      List<Item> items = new ArrayList<>();
      for (JsonNode it : body.path("items")) {
        String key = it.path("key").asText();
        long version = it.path("version").asLong();
        String value = new String(Base64.getDecoder().decode(it.path("value").asText()), StandardCharsets.UTF_8);
        items.add(new Item(key, version, value));
        history.record(new Op(history.nextId(), client, key, Op.Kind.GET, Op.ANY, value, Op.Outcome.OK, true,
            version, null, call, ret, "scan " + n + " page " + pages.size()));
      }
      pages.add(new Page(call, ret, items));
      JsonNode next = body.get("next");
      if (next == null || next.isNull()) {
        return new Scan(n, start, ret, pages, null);
      }
      token = next.asText();
      if (pages.size() >= MAX_PAGES) {
        // A token that never reaches the end would keep this client here forever: a finding, not a hang.
        return new Scan(n, start, ret, pages, "abandoned after " + MAX_PAGES + " pages without an end");
      }
    }
  }

  private synchronized void record(Scan s) {
    scans.add(s);
    ObjectNode n = JSON.createObjectNode().put("scan", s.n()).put("call", s.call()).put("ret", s.ret())
        .put("pages", s.pages().size()).put("keys", s.keys());
    if (s.error() != null) {
      n.put("error", s.error());
    }
    ArrayNode pages = n.putArray("page");
    for (Page p : s.pages()) {
      ObjectNode pn = pages.addObject().put("call", p.call()).put("ret", p.ret());
      ArrayNode items = pn.putArray("items");
      p.items().forEach(i -> items.addArray().add(i.key()).add(i.version()).add(i.value()));
    }
    out.append(n, true);
  }

  /** Stops the client if it still runs (a run that failed midway), then closes its file. */
  @Override
  public void close() throws InterruptedException {
    stop();
    out.close();
  }
}
