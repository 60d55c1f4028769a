package io.kvpipe.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.proxy.HttpLimits;
import io.kvpipe.proxy.ProxyMetrics;
import io.kvpipe.proxy.topology.SseHub;
import io.kvpipe.proxy.topology.TopologyView;
import io.kvpipe.proxy.topology.TopologyWatcher;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.logs.LogCapture;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The limits on what one caller can make the proxy hold, through the real listener and handler on loopback (routes
 * without a cluster behind them): each answers a clear error and counts the refusal by reason.
 */
class RequestLimitsTest {
  private static final String TOKEN = "data-token-for-tests";
  private static final HttpLimits LIMITS = new HttpLimits(2048, 512, 1 << 20, 2, 4);

  private final ProxyMetrics metrics = new ProxyMetrics();
  private final SseHub sse = new SseHub(Duration.ofSeconds(30), LIMITS.maxSseSubscribers(), LIMITS.sseQueueFrames(),
      metrics);
  private volatile TopologyView view = new TopologyView(SubscribeListener.topology(1));
  private HttpListener listener;

  @BeforeEach
  void start() throws Exception {
    listener = SubscribeListener.start(LIMITS, TOKEN, metrics, sse, () -> view);
  }

  @AfterEach
  void stop() throws Exception {
    sse.close();
    listener.close();
  }

  @Test
  void madeUpMethodsAre405AndOneMetricTag() throws Exception {
    for (int i = 0; i < 50; i++) {
      String reply = exchange("BREW" + i + " /v1/kv/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
          + "\r\nConnection: close\r\n\r\n");
      assertThat(reply).startsWith("HTTP/1.1 405").contains("METHOD_NOT_ALLOWED");
    }
    String scrape = metrics.scrape();
    assertThat(scrape).contains("method=\"other\"").doesNotContain("BREW");
    assertThat(counter(scrape, "unknown_method")).isEqualTo(50);
  }

  /** Answered and refused requests alike carry an id: the caller's if plain, a new one otherwise (never echoed raw). */
  @Test
  void everyAnswerCarriesARequestId() throws Exception {
    String given = exchange("GET /v1/kv/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
        + "\r\nX-Request-Id: trace-42.a_b:c\r\nConnection: close\r\n\r\n");
    assertThat(given).startsWith("HTTP/1.1 200").contains("X-Request-Id: trace-42.a_b:c\r\n");
    String refused = exchange("GET /v1/kv/a HTTP/1.1\r\nHost: x\r\nX-Request-Id: <script>\r\nConnection: close\r\n\r\n");
    assertThat(refused).startsWith("HTTP/1.1 401").doesNotContain("<script>");
    assertThat(refused).containsPattern("X-Request-Id: [0-9a-f]{16}\r\n");
  }

  /** Off by default; at INFO one event per answered request, with the request id among its key/value pairs. */
  @Test
  void theAccessLogWritesOneEventPerRequestWhenOn() throws Exception {
    try (LogCapture access = LogCapture.of("kvpipe.access", "OFF")) {
      exchange("GET /v1/kv/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\nConnection: close\r\n\r\n");
      assertThat(access.events()).isEmpty();
    }
    try (LogCapture access = LogCapture.of("kvpipe.access", "INFO")) {
      exchange("GET /v1/kv/a?x=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
          + "\r\nX-Request-Id: r-1\r\nConnection: close\r\n\r\n");
      assertThat(access.events()).hasSize(1);
      var e = access.events().get(0);
      assertThat(e.getFormattedMessage()).contains("GET /v1/kv/a?x=1 200").contains("id=r-1");
      assertThat(LogCapture.keyValue(e, "request_id")).isEqualTo("r-1");
    }
  }

  @Test
  void aLongRequestTargetIs414() throws Exception {
    String reply = exchange("GET /v1/kv/" + "a".repeat(600) + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + TOKEN + "\r\nConnection: close\r\n\r\n");
    assertThat(reply).startsWith("HTTP/1.1 414").contains("\"error\":\"URI_TOO_LONG\"");
    assertThat(counter(metrics.scrape(), "uri_too_long")).isEqualTo(1);
    assertThat(exchange("GET /v1/kv/" + "a".repeat(400) + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
        + "\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 200");
  }

  @Test
  void largeHeadersAre431() throws Exception {
    String reply = exchange("GET /v1/kv/a HTTP/1.1\r\nHost: x\r\nX-Pad: " + "p".repeat(3000)
        + "\r\nConnection: close\r\n\r\n");
    assertThat(reply).startsWith("HTTP/1.1 431").contains("HEADERS_TOO_LARGE");
    assertThat(counter(metrics.scrape(), "headers_too_large")).isEqualTo(1);
  }

  @Test
  void subscribersBeyondTheCapAre503UntilOneLeaves() throws Exception {
    List<Socket> open = new ArrayList<>();
    try {
      for (int i = 0; i < LIMITS.maxSseSubscribers(); i++) {
        open.add(subscribe());
      }
      assertThat(exchange(subscribeRequest().replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")))
          .startsWith("HTTP/1.1 503").contains("max-sse-subscribers");
      assertThat(counter(metrics.scrape(), "sse_subscribers")).isEqualTo(1);
      open.removeFirst().close();
      Poll.until("a subscriber leaves", Duration.ofSeconds(10), () -> {
        // The next write finds the closed socket.
        view = new TopologyView(SubscribeListener.topology(view.version() + 1));
        sse.publish(new TopologyWatcher.Update(view, List.of()));
        return sse.subscriberCount() < LIMITS.maxSseSubscribers();
      });
      Poll.until("a new subscriber is admitted", Duration.ofSeconds(10), () -> {
        try (Socket s = subscribe()) {
          return true;
        } catch (AssertionError e) {
          return false;
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
    } finally {
      for (Socket s : open) {
        s.close();
      }
    }
  }

  @Test
  void aSubscriberThatDoesNotReadIsDroppedWhenItsQueueIsFull() throws Exception {
    try (Socket s = subscribe()) {
      assertThat(sse.subscriberCount()).isEqualTo(1);
      publishUntilDropped();
      assertThat(counter(metrics.scrape(), "sse_queue_full")).isEqualTo(1);
    }
  }

  /**
   * A dropped subscriber that reads nothing holds its connection for a grace period; closing the hub (the proxy
   * stopping) ends it at once instead of leaving the exchange open for the server's stop to wait out.
   */
  @Test
  void closingTheHubAbortsADroppedSubscriberThatDoesNotRead() throws Exception {
    try (Socket s = subscribe()) {
      publishUntilDropped();
      assertThat(counter(metrics.scrape(), "sse_queue_full")).isEqualTo(1);
      sse.close();
      // The server never reads what the client sends now: once it aborts the connection, a write is refused.
      OutputStream out = s.getOutputStream();
      Poll.until("the connection is aborted", Duration.ofSeconds(2), () -> { // the grace is 5 s
        try {
          out.write(new byte[1024]);
          out.flush();
          return false;
        } catch (java.io.IOException reset) {
          return true;
        }
      });
    }
  }

  /**
   * Writes are asynchronous and shared by all subscribers: one that stopped reading (its write pending) must neither
   * delay nor reorder what a reading subscriber gets.
   */
  @Test
  void aSubscriberThatReadsGetsEveryVersionInOrderBesideOneThatDoesNot() throws Exception {
    try (Socket stalled = subscribe(); Socket reading = subscribe()) {
      List<Long> ids = new java.util.concurrent.CopyOnWriteArrayList<>();
      Thread reader = Thread.ofVirtual().start(() -> {
        try {
          InputStream in = reading.getInputStream();
          StringBuilder line = new StringBuilder();
          for (int c = in.read(); c >= 0; c = in.read()) {
            if (c != '\n') {
              line.append((char) c);
              continue;
            }
            if (line.toString().startsWith("id: ")) {
              ids.add(Long.parseLong(line.substring(4).trim()));
            }
            line.setLength(0);
          }
        } catch (Exception closed) {
          // the test closes the socket when done
        }
      });
      long first = view.version();
      for (int i = 0; i < 300; i++) {
        view = new TopologyView(SubscribeListener.topology(view.version() + 1));
        sse.publish(new TopologyWatcher.Update(view, List.of()));
        long expected = view.version();
        // Paced by the reader (the queue is only 4 frames); the other one reads nothing at all meanwhile.
        Poll.until("version " + expected + " read", Duration.ofSeconds(10), Duration.ofMillis(1),
            () -> !ids.isEmpty() && ids.getLast() == expected);
      }
      assertThat(ids).isSorted().doesNotHaveDuplicates().contains(first + 1, first + 300);
      reading.close();
      reader.join(5000);
    }
  }

  /**
   * Publishes changes until the only subscriber, which reads nothing more, is dropped: once the socket buffers are
   * full its write stays pending and its queue fills up.
   */
  private void publishUntilDropped() {
    Poll.until("the subscriber is dropped", Duration.ofSeconds(20), () -> {
      for (int i = 0; i < 200; i++) {
        view = new TopologyView(SubscribeListener.topology(view.version() + 1));
        sse.publish(new TopologyWatcher.Update(view, List.of()));
      }
      return sse.subscriberCount() == 0;
    });
  }

  private Socket subscribe() throws Exception {
    Socket s = new Socket();
    s.setReceiveBufferSize(4096); // before connecting, so the window stays small and a non-reader stalls the server
    s.setSoTimeout(10_000);
    s.connect(new java.net.InetSocketAddress("127.0.0.1", listener.port()));
    s.getOutputStream().write(subscribeRequest().getBytes(StandardCharsets.US_ASCII));
    String status = readLine(s.getInputStream());
    assertThat(status).startsWith("HTTP/1.1 200");
    return s;
  }

  private static String subscribeRequest() {
    return "GET /api/topology/subscribe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\n\r\n";
  }

  /** Sends a raw request (any method string, any size) and returns the whole reply; the server closes after it. */
  private String exchange(String request) throws Exception {
    try (Socket s = new Socket("127.0.0.1", listener.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  private static String readLine(InputStream in) throws Exception {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      sb.append((char) c);
    }
    return sb.toString();
  }

  private static double counter(String scrape, String reason) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(
        "kvpipe_proxy_rejected_total\\{reason=\"" + reason + "\"} ([0-9.E]+)").matcher(scrape);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
