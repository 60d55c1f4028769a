package io.kvpipe.proxy.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import io.kvpipe.proxy.HttpLimits;
import io.kvpipe.proxy.ProxyMetrics;
import io.kvpipe.proxy.http.Access;
import io.kvpipe.proxy.http.HttpListener;
import io.kvpipe.proxy.http.ProxyHandler;
import io.kvpipe.proxy.http.Routes;
import io.kvpipe.proxy.http.TokenAuth;
import io.kvpipe.testsupport.Poll;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /v1/watch} through the real listener and handler on loopback, fed by a {@link Fanout} the test dispatches
 * into (the Kafka side is covered by the system tests): tokens, bad input, the watcher cap and the slow-client cut-off.
 */
class WatchHttpTest {
  private static final String DATA = "data-token-for-tests";
  private static final String ADMIN = "admin-token-for-tests";
  private static final HttpLimits LIMITS = new HttpLimits(8192, 4096, 1 << 20, 2, 4);

  private final ProxyMetrics metrics = new ProxyMetrics();
  private final ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
  private final List<Watcher> cut = new ArrayList<>();
  private final Fanout fanout = new Fanout(w -> {
    cut.add(w);
    metrics.watchCutOff(w.closeCode());
  });
  private WatchService service;
  private HttpListener listener;
  private long offset;

  void start(boolean enabled, int maxWatchers, int queueEvents) throws Exception {
    WatchConfig config = new WatchConfig(enabled ? Optional.of("127.0.0.1:1") : Optional.empty(), "kv.changes",
        maxWatchers, queueEvents, 1 << 20, 100, 1, Duration.ofSeconds(30));
    service = new WatchService(config, metrics, blocking, fanout);
    fanout.start(new long[] {0, 0, 0});
    Routes routes = Routes.builder().exact("/v1/watch", "watch", Access.DATA, "GET", (Routes.Action) service::watch)
        .build();
    listener = new HttpListener("127.0.0.1", 0, Duration.ofSeconds(30), LIMITS,
        new ProxyHandler(routes, new TokenAuth(DATA, ADMIN), metrics, LIMITS.maxUriBytes()), metrics);
    listener.start();
  }

  @AfterEach
  void stop() throws Exception {
    if (listener != null) {
      service.close();
      listener.close();
    }
    blocking.shutdownNow();
  }

  void publish(String key, byte[] value) {
    long o = offset++;
    ChangeEvent e = new ChangeEvent(Op.UPDATE, key, null, value, 0, "g1", o + 1, 0, 1, 1, o + 1, Origin.CLIENT);
    long[] after = fanout.position();
    after[0] = o + 1;
    fanout.dispatch(List.of(new Fanout.Read(0, o, e)), after);
  }

  @Test
  void withoutAValidTokenItIs401AndTheAdminTokenMayWatch() throws Exception {
    start(true, 10, 100);
    assertThat(exchange(request("prefix=a", null))).startsWith("HTTP/1.1 401").contains("UNAUTHORIZED");
    assertThat(exchange(request("prefix=a", "not-a-valid-token"))).startsWith("HTTP/1.1 401");
    try (Socket s = open("prefix=a", ADMIN)) {
      assertThat(readUntil(s.getInputStream(), "\n\n")).contains("event: ready");
    }
  }

  @Test
  void badInputIs400AndNothingIsAdmitted() throws Exception {
    start(true, 10, 100);
    for (String q : new String[] {"", "prefix=%C3%28", "prefix=a&key=b", "prefix=a&from=%%%",
        "prefix=a&from=AQ", "key=" + "k".repeat(600), "prefix=a&since=3"}) {
      assertThat(exchange(request(q, DATA))).as(q).startsWith("HTTP/1.1 400");
    }
    assertThat(exchange(request("prefix=a", DATA).replace("\r\n\r\n", "\r\nLast-Event-ID: junk\r\n\r\n")))
        .startsWith("HTTP/1.1 400").contains("invalid watch position");
    assertThat(fanout.size()).isZero();
  }

  @Test
  void aProxyWithoutTheChangeTopicAnswers404() throws Exception {
    start(false, 10, 100);
    assertThat(exchange(request("prefix=a", DATA))).startsWith("HTTP/1.1 404").contains("--kafka-bootstrap");
  }

  @Test
  void changesArriveAsServerSentEvents() throws Exception {
    start(true, 10, 100);
    try (Socket s = open("key=user%3A1", DATA)) {
      assertThat(readUntil(s.getInputStream(), "\n\n")).contains("event: ready");
      publish("user:10", new byte[] {1});
      publish("user:1", "hi".getBytes(StandardCharsets.UTF_8));
      String frame = readUntil(s.getInputStream(), "\n\n");
      assertThat(frame).isEqualTo("id: " + WatchPosition.of(2, 0, 0).token() + "\nevent: change\ndata: "
          + "{\"key\":\"user:1\",\"op\":\"update\",\"value\":\"aGk=\",\"version\":2}\n\n");
    }
  }

  @Test
  void watchersBeyondTheCapAre503UntilOneLeaves() throws Exception {
    start(true, 2, 100);
    Socket first = open("prefix=", DATA);
    try (Socket second = open("prefix=", DATA)) {
      assertThat(exchange(request("prefix=", DATA))).startsWith("HTTP/1.1 503").contains("--watch-max-watchers");
      assertThat(metrics.scrape()).contains("kvpipe_proxy_rejected_total{reason=\"watchers\"} 1.0");
      first.close();
      Poll.until("the closed watcher to leave", Duration.ofSeconds(20), () -> {
        publish("k", new byte[] {1}); // the write to the closed socket fails
        return fanout.size() < 2;
      });
      try (Socket third = open("prefix=", DATA)) {
        assertThat(readUntil(third.getInputStream(), "\n\n")).contains("event: ready");
      }
    }
  }

  @Test
  void aWatcherThatStopsReadingIsCutOffWithAReason() throws Exception {
    start(true, 10, 8);
    try (Socket s = open("prefix=", DATA)) {
      byte[] value = new byte[32 * 1024];
      Poll.until("the watcher to be cut off", Duration.ofSeconds(30), () -> {
        for (int i = 0; i < 50; i++) {
          publish("big", value);
        }
        return !cut.isEmpty();
      });
      // Now the client reads: what was written before the cut, then the reason, then the end of the stream.
      String rest = readPast(s.getInputStream(), "event: error\n");
      assertThat(rest).endsWith("event: error\n");
      assertThat(readUntil(s.getInputStream(), "\n\n")).startsWith("data: {\"error\":\"WATCHER_TOO_SLOW\"")
          .contains("reconnect with the last id");
      assertThat(readUntil(s.getInputStream(), "0\r\n\r\n")).as("the response ends after it").endsWith("0\r\n\r\n");
      assertThat(metrics.scrape()).contains("kvpipe_proxy_watch_cutoff_total{reason=\"WATCHER_TOO_SLOW\"} 1.0");
      assertThat(fanout.size()).isZero();
    }
  }

  private Socket open(String query, String token) throws Exception {
    Socket s = new Socket();
    s.setReceiveBufferSize(4096);
    s.setSoTimeout(20_000);
    s.connect(new java.net.InetSocketAddress("127.0.0.1", listener.port()));
    s.getOutputStream().write(request(query, token).getBytes(StandardCharsets.UTF_8));
    String head = readUntil(s.getInputStream(), "\r\n\r\n");
    assertThat(head).startsWith("HTTP/1.1 200").contains("text/event-stream");
    return s;
  }

  private static String request(String query, String token) {
    return "GET /v1/watch" + (query.isEmpty() ? "" : "?" + query) + " HTTP/1.1\r\nHost: x\r\n"
        + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n";
  }

  private String exchange(String request) throws Exception {
    try (Socket s = new Socket("127.0.0.1", listener.port())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.UTF_8));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Reads raw bytes up to and including {@code marker}. */
  private static String readPast(InputStream in, String marker) throws Exception {
    StringBuilder sb = new StringBuilder();
    int c;
    while (!sb.toString().endsWith(marker) && (c = in.read()) >= 0) {
      sb.append((char) c);
      if (sb.length() > 2 * marker.length()) {
        sb.delete(0, sb.length() - marker.length()); // only the tail matters
      }
    }
    return sb.toString();
  }

  /** Reads up to and including {@code end}; chunked transfer framing lines are skipped over. */
  private static String readUntil(InputStream in, String end) throws Exception {
    StringBuilder sb = new StringBuilder();
    while (!sb.toString().endsWith(end)) {
      int c = in.read();
      if (c < 0) {
        break;
      }
      sb.append((char) c);
      if (end.equals("\n\n") && sb.toString().endsWith("\r\n")) {
        // a chunk-size line or chunk end of the chunked encoding: not part of the SSE text
        String s = sb.toString();
        int lineStart = s.lastIndexOf('\n', s.length() - 3) + 1;
        sb.setLength(lineStart);
      }
    }
    return sb.toString();
  }
}
