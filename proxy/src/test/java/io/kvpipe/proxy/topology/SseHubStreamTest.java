package io.kvpipe.proxy.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.topology.Topology;
import io.kvpipe.common.topology.TopologyEvent;
import io.kvpipe.proxy.HttpLimits;
import io.kvpipe.proxy.ProxyMetrics;
import io.kvpipe.proxy.http.HttpListener;
import io.kvpipe.proxy.http.SubscribeListener;
import io.kvpipe.testsupport.Poll;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bytes an SSE subscriber gets, through the real listener on loopback. Over HTTP/1.1 the hub writes each frame to
 * the connection as a chunk of its own and lets Jetty write the headers and the last chunk: the stream must be valid
 * chunked coding from the first byte to the last, and Jetty's view of the connection must agree with it (the same
 * connection then serves the next request). HTTP/1.0 has no chunks: frames go through Jetty's Response.write.
 */
class SseHubStreamTest {
  private static final String TOKEN = "data-token-for-tests";
  private static final HttpLimits LIMITS = new HttpLimits(8192, 4096, 1 << 20, 16, 64);

  private final ProxyMetrics metrics = new ProxyMetrics();
  private final SseHub sse = new SseHub(Duration.ofSeconds(30), LIMITS.maxSseSubscribers(), LIMITS.sseQueueFrames(),
      metrics);
  private volatile TopologyView view = new TopologyView(SubscribeListener.topology(1));
  /** Reads of the latest view: a subscription reads it twice, the second time (its catch-up) as its last step. */
  private final AtomicInteger viewReads = new AtomicInteger();
  private HttpListener listener;

  @BeforeEach
  void start() throws Exception {
    listener = SubscribeListener.start(LIMITS, TOKEN, metrics, sse, () -> {
      viewReads.incrementAndGet();
      return view;
    });
  }

  @AfterEach
  void stop() throws Exception {
    sse.close();
    listener.close();
  }

  @Test
  void http11StreamIsOneChunkPerFrameEndedByJettyOnAConnectionThatStaysUsable() throws Exception {
    try (Socket s = connect()) {
      s.getOutputStream().write(request("HTTP/1.1").getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      String head = readHead(in);
      assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("Transfer-Encoding: chunked\r\n");
      StringBuilder body = new StringBuilder(new String(chunk(in), StandardCharsets.UTF_8));
      String expected = SseHub.snapshotFrame(view);
      assertThat(body.toString()).isEqualTo(expected);
      awaitSubscribed();

      // Changes (one update of two events), a snapshot (an update without events), a frame larger than the socket
      // takes at once (the rest written when it can take more).
      TopologyEvent e2 = new TopologyEvent(2, 1, TopologyEvent.GROUP_ADDED, Map.of("group", "g2"));
      TopologyEvent e3 = new TopologyEvent(3, 1, TopologyEvent.GROUP_REMOVED, Map.of("group", "g2"));
      publish(SubscribeListener.topology(3), List.of(e2, e3));
      publish(SubscribeListener.topology(5), List.of());
      String snapshot5 = SseHub.snapshotFrame(view);
      TopologyEvent big = new TopologyEvent(6, 1, TopologyEvent.RING_CHANGED, Map.of("note", "r".repeat(400_000)));
      publish(SubscribeListener.topology(6), List.of(big));
      expected += SseHub.changeFrame(e2) + SseHub.changeFrame(e3) + snapshot5 + SseHub.changeFrame(big);
      while (body.length() < expected.length()) {
        byte[] c = chunk(in);
        assertThat(c).as("a chunk before the stream's end").isNotNull();
        body.append(new String(c, StandardCharsets.UTF_8));
      }
      assertThat(body.toString()).as("the frames in order").isEqualTo(expected);

      sse.close(); // ends every stream: Jetty's last chunk
      assertThat(chunk(in)).as("the last chunk").isNull();
      Poll.until("the stream finished", Duration.ofSeconds(5), () -> sse.subscriberCount() == 0);
      s.getOutputStream().write(("GET /v1/kv/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      assertThat(readHead(in)).startsWith("HTTP/1.1 200");
    }
  }

  /** Jetty ends a response the client asked to close without chunks (at the connection's end): that must work too. */
  @Test
  void http11StreamOfAClientThatAsksToCloseCarriesTheFrames() throws Exception {
    try (Socket s = connect()) {
      s.getOutputStream().write(request("HTTP/1.1").replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      String head = readHead(in);
      assertThat(head).startsWith("HTTP/1.1 200");
      TopologyEvent e2 = new TopologyEvent(2, 1, TopologyEvent.GROUP_ADDED, Map.of("group", "g2"));
      String expected = SseHub.snapshotFrame(view) + SseHub.changeFrame(e2);
      awaitSubscribed();
      publish(SubscribeListener.topology(2), List.of(e2));
      sse.close();
      StringBuilder body = new StringBuilder();
      if (head.toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked\r\n")) {
        for (byte[] c = chunk(in); c != null; c = chunk(in)) {
          body.append(new String(c, StandardCharsets.UTF_8));
        }
      } else {
        body.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
      assertThat(body.toString()).isEqualTo(expected);
    }
  }

  /** The hub closing ends each stream after the frames published before it, even behind a write still in flight. */
  @Test
  void aStreamEndedByTheHubGetsTheFramesPublishedBeforeTheEnd() throws Exception {
    try (Socket s = connect()) {
      s.getOutputStream().write(request("HTTP/1.1").getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      readHead(in);
      String expected = SseHub.snapshotFrame(view);
      assertThat(new String(chunk(in), StandardCharsets.UTF_8)).isEqualTo(expected);
      awaitSubscribed();
      // More than the kernel's send and receive buffers take while nobody reads: the write stays in flight, and the
      // next change queues behind it when the hub closes.
      TopologyEvent big = new TopologyEvent(2, 1, TopologyEvent.RING_CHANGED, Map.of("note", "r".repeat(12 << 20)));
      TopologyEvent e3 = new TopologyEvent(3, 1, TopologyEvent.GROUP_ADDED, Map.of("group", "g3"));
      publish(SubscribeListener.topology(2), List.of(big));
      publish(SubscribeListener.topology(3), List.of(e3));
      sse.close();
      expected = SseHub.changeFrame(big) + SseHub.changeFrame(e3);
      StringBuilder body = new StringBuilder();
      for (byte[] c = chunk(in); c != null; c = chunk(in)) {
        body.append(new String(c, StandardCharsets.UTF_8));
      }
      assertThat(body.length()).as("bytes after the snapshot").isEqualTo(expected.length());
      assertThat(body.toString()).isEqualTo(expected);
    }
  }

  @Test
  void http10StreamHasNoChunksAndEndsWithTheConnection() throws Exception {
    try (Socket s = connect()) {
      s.getOutputStream().write(request("HTTP/1.0").getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      assertThat(readHead(in)).startsWith("HTTP/1.").doesNotContainIgnoringCase("chunked");
      TopologyEvent e2 = new TopologyEvent(2, 1, TopologyEvent.GROUP_ADDED, Map.of("group", "g2"));
      String expected = SseHub.snapshotFrame(view) + SseHub.changeFrame(e2);
      awaitSubscribed();
      publish(SubscribeListener.topology(2), List.of(e2));
      sse.close();
      assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(expected);
    }
  }

  /**
   * Waits until the subscription has read the latest view for its catch-up: a change published before that may reach
   * the stream as a snapshot of its version instead (correct, but not the frames these tests expect).
   */
  private void awaitSubscribed() {
    Poll.until("the subscription caught up", Duration.ofSeconds(5), () -> viewReads.get() >= 2);
  }

  private void publish(Topology t, List<TopologyEvent> events) {
    view = new TopologyView(t);
    sse.publish(new TopologyWatcher.Update(view, events));
  }

  private Socket connect() throws IOException {
    Socket s = new Socket();
    s.setReceiveBufferSize(4096); // before connecting: a large frame then does not fit at once (a partial write)
    s.setSoTimeout(10_000);
    s.connect(new InetSocketAddress("127.0.0.1", listener.port()));
    return s;
  }

  private static String request(String version) {
    return "GET /api/topology/subscribe " + version + "\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\n\r\n";
  }

  /** The status line and headers, up to and including the empty line. */
  private static String readHead(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    while (!sb.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      assertThat(c).as("a byte of the response head").isNotNegative();
      sb.append((char) c);
    }
    return sb.toString();
  }

  /** One chunk of chunked coding, strictly (hex length CRLF, data, CRLF); null for the last chunk (0 CRLF CRLF). */
  private static byte[] chunk(InputStream in) throws IOException {
    String size = line(in);
    assertThat(size).as("a chunk size line").matches("[0-9a-fA-F]+");
    int n = Integer.parseInt(size, 16);
    if (n == 0) {
      assertThat(line(in)).as("no trailers after the last chunk").isEmpty();
      return null;
    }
    byte[] data = in.readNBytes(n);
    assertThat(data).hasSize(n);
    assertThat(line(in)).as("CRLF right after the chunk's data").isEmpty();
    return data;
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int c = in.read(); ; c = in.read()) {
      assertThat(c).as("a byte of a chunk line").isNotNegative();
      if (c == '\r') {
        assertThat(in.read()).as("LF after CR").isEqualTo('\n');
        return out.toString(StandardCharsets.US_ASCII);
      }
      out.write(c);
    }
  }
}
