package io.kvpipe.proxy.topology;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An update to more subscribers than one fan-out slice is written by the publishing thread and its helpers, each
 * taking slices as it gets to them: every subscriber gets every frame once and in version order, whichever thread
 * wrote it, and a helper that never gets to run costs the update nothing (the publishing thread writes its slices).
 * Real streams over the proxy's listener on loopback.
 */
class SseHubFanOutTest {
  private static final String TOKEN = "data-token-for-tests";
  /** Several slices of 128, the last one partial. */
  private static final int SUBSCRIBERS = 300;
  private static final HttpLimits LIMITS = new HttpLimits(8192, 4096, 1 << 20, SUBSCRIBERS + 8, 64);

  private volatile TopologyView view = new TopologyView(SubscribeListener.topology(1));

  @Test
  void helpersShareTheSlicesAndEverySubscriberGetsEveryFrameInOrder() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      expectEveryFrameAtEverySubscriber(4, pool);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aHelperThatNeverRunsDoesNotHoldTheUpdate() throws Exception {
    // Tasks handed to this executor are kept and never run, like a helper thread that gets no core for as long as the
    // update takes. The old fan-out gave each helper a fixed share up front and waited for it: publish never returned.
    ConcurrentLinkedQueue<Runnable> neverRun = new ConcurrentLinkedQueue<>();
    expectEveryFrameAtEverySubscriber(3, neverRun::add);
    assertThat(neverRun).as("helpers were asked to help").isNotEmpty();
  }

  private void expectEveryFrameAtEverySubscriber(int fanoutThreads, java.util.concurrent.Executor helpers)
      throws Exception {
    ProxyMetrics metrics = new ProxyMetrics();
    SseHub sse = new SseHub(Duration.ofSeconds(30), LIMITS.maxSseSubscribers(), LIMITS.sseQueueFrames(), metrics,
        fanoutThreads, helpers);
    HttpListener listener = SubscribeListener.start(LIMITS, TOKEN, metrics, sse, () -> view);
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < SUBSCRIBERS; i++) {
        Socket s = new Socket();
        s.setSoTimeout(10_000);
        s.connect(new InetSocketAddress("127.0.0.1", listener.port()));
        s.getOutputStream().write(("GET /api/topology/subscribe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        sockets.add(s);
      }
      Poll.until("every subscriber admitted", Duration.ofSeconds(20), () -> sse.subscriberCount() == SUBSCRIBERS);
      String expected = SseHub.snapshotFrame(view);

      // Each publish returns only after its update is offered to everyone (the next one queues behind it).
      ExecutorService publisher = Executors.newSingleThreadExecutor();
      try {
        for (long v = 2; v <= 6; v++) {
          TopologyEvent e = new TopologyEvent(v, 1, TopologyEvent.GROUP_ADDED, Map.of("group", "g" + v));
          TopologyView next = new TopologyView(SubscribeListener.topology(v));
          view = next;
          Future<?> done = publisher.submit(() -> sse.publish(new TopologyWatcher.Update(next, List.of(e))));
          done.get(20, TimeUnit.SECONDS);
          expected += SseHub.changeFrame(e);
        }
      } finally {
        publisher.shutdownNow();
      }

      for (Socket s : sockets) {
        InputStream in = s.getInputStream();
        readHead(in);
        StringBuilder body = new StringBuilder();
        while (body.length() < expected.length()) {
          body.append(new String(chunk(in), StandardCharsets.UTF_8));
        }
        assertThat(body.toString()).as("the frames of one subscriber, in order").isEqualTo(expected);
      }
    } finally {
      sse.close();
      for (Socket s : sockets) {
        s.close();
      }
      listener.close();
    }
  }

  private static void readHead(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    while (!sb.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      assertThat(c).as("a byte of the response head").isNotNegative();
      sb.append((char) c);
    }
    assertThat(sb.toString()).startsWith("HTTP/1.1 200");
  }

  /** One chunk of chunked coding (hex length CRLF, data, CRLF); the stream must not end here. */
  private static byte[] chunk(InputStream in) throws IOException {
    int n = Integer.parseInt(line(in), 16);
    assertThat(n).as("a chunk before the stream's end").isPositive();
    byte[] data = in.readNBytes(n);
    assertThat(data).hasSize(n);
    assertThat(line(in)).isEmpty();
    return data;
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int c = in.read(); c != '\r'; c = in.read()) {
      assertThat(c).as("a byte of a chunk line").isNotNegative();
      out.write(c);
    }
    assertThat(in.read()).isEqualTo('\n');
    return out.toString(StandardCharsets.US_ASCII);
  }
}
