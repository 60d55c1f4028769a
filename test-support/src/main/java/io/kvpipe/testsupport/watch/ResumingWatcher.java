package io.kvpipe.testsupport.watch;

import io.kvpipe.common.watch.SseReader;
import io.kvpipe.common.watch.WatchEvent;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A watch client as an application would write one: follows {@code GET /v1/watch?QUERY} on one of several proxies,
 * and whenever its stream ends (server closed it, proxy killed, cut off, or {@link #disconnect()}), reconnects to the
 * next proxy with {@code Last-Event-ID} set to the last id it received. Every change goes to {@code onChange} on the
 * watcher's own thread, in stream order. Thread-safe to control from other threads.
 */
public final class ResumingWatcher implements AutoCloseable {
  private final HttpClient http;
  private final List<String> bases;
  private final String token;
  private final String query;
  private final Consumer<WatchEvent> onChange;
  private final Thread thread;
  private final AtomicInteger connections = new AtomicInteger();
  private final List<String> closeReasons = new CopyOnWriteArrayList<>();
  private volatile String lastId;
  private volatile InputStream current;
  private volatile boolean stopped;
  private volatile boolean ready;

  public ResumingWatcher(HttpClient http, List<String> bases, String token, String query,
                         Consumer<WatchEvent> onChange) {
    this.http = http;
    this.bases = List.copyOf(bases);
    this.token = token;
    this.query = query;
    this.onChange = onChange;
    this.thread = Thread.ofVirtual().name("watcher").unstarted(this::run);
  }

  public static HttpClient httpClient() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  public ResumingWatcher start() {
    thread.start();
    return this;
  }

  /** True once the first stream sent its {@code ready} event (changes acknowledged from now on will be seen). */
  public boolean isReady() {
    return ready;
  }

  public int connections() {
    return connections.get();
  }

  /** The {@code error} events and failed connects that ended a stream, in order. */
  public List<String> closeReasons() {
    return List.copyOf(closeReasons);
  }

  public String lastId() {
    return lastId;
  }

  /** Drops the current stream; the watcher reconnects (to the next proxy) from its last id. */
  public void disconnect() {
    InputStream in = current;
    if (in != null) {
      try {
        in.close();
      } catch (IOException ignored) {
        // closing is all we wanted
      }
    }
  }

  private void run() {
    int attempt = 0;
    while (!stopped) {
      String base = bases.get(attempt++ % bases.size());
      try {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v1/watch?" + query))
            .header("Authorization", "Bearer " + token).header("Accept", "text/event-stream").GET();
        if (lastId != null) {
          b.header("Last-Event-ID", lastId);
        }
        HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
          if (r.statusCode() != 200) {
            closeReasons.add(base + " " + r.statusCode() + " " + new String(in.readAllBytes(),
                StandardCharsets.UTF_8));
            pause();
            continue;
          }
          current = in;
          connections.incrementAndGet();
          read(new SseReader(in));
        }
      } catch (IOException e) {
        if (!stopped) {
          pause(); // proxy down or restarting: try the next one shortly
        }
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void read(SseReader sse) throws IOException {
    SseReader.Event e;
    while (!stopped && (e = sse.next()) != null) {
      switch (e.event()) {
        case "change" -> {
          onChange.accept(WatchEvent.parse(e));
          lastId = e.id();
        }
        case "ready", "progress" -> {
          lastId = e.id();
          ready = true;
        }
        case "error" -> closeReasons.add(e.data());
        default -> { }
      }
    }
  }

  private static void pause() {
    java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(200).toNanos()); // reconnect backoff
  }

  @Override
  public void close() {
    stopped = true;
    disconnect();
    thread.interrupt();
  }
}
