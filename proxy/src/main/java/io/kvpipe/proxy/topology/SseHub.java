package io.kvpipe.proxy.topology;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.topology.TopologyCodec;
import io.kvpipe.common.topology.TopologyEvent;
import io.kvpipe.proxy.ProxyMetrics;
import io.kvpipe.proxy.http.Exchange;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server-Sent Events for {@code /api/topology/subscribe}. A subscriber first gets an {@code event: snapshot} with the
 * whole topology, then one {@code event: change} per topology event (id = the version it produced), and a comment
 * every {@code heartbeat} so idle connections stay open. If the event log lost events the subscriber missed, it gets a
 * fresh snapshot instead.
 *
 * <p>Threads: {@link #publish} runs on the watcher's thread and only enqueues; each subscriber has one virtual thread
 * that owns its response and does the (blocking) writes, so a slow client never slows anyone else down. A subscriber
 * whose queue overflows or whose write fails is dropped. What subscribers can make the proxy hold is bounded: at most
 * {@code maxSubscribers} at once (503 beyond), each with at most {@code queueFrames} frames queued.
 */
public final class SseHub implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SseHub.class);
  private static final String CLOSE = "";

  private final Duration heartbeat;
  private final int maxSubscribers;
  private final int queueFrames;
  private final ProxyMetrics metrics;
  private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
  /** Subscribers admitted and not yet finished (their streaming thread may outlive their place in the set). */
  private final AtomicInteger admitted = new AtomicInteger();

  public SseHub(Duration heartbeat, int maxSubscribers, int queueFrames, ProxyMetrics metrics) {
    this.heartbeat = heartbeat;
    this.maxSubscribers = maxSubscribers;
    this.queueFrames = queueFrames;
    this.metrics = metrics;
  }

  private final class Subscriber {
    final BlockingQueue<String> queue = new LinkedBlockingQueue<>(queueFrames);
    volatile long lastVersion;

    void offer(String frame) {
      if (!queue.offer(frame)) {
        if (subscribers.remove(this)) {
          metrics.rejected("sse_queue_full");
          LOG.info("SSE subscriber dropped: {} frames queued and not read", queueFrames);
        }
        queue.clear();
        queue.offer(CLOSE);
      }
    }
  }

  public int subscriberCount() {
    return subscribers.size();
  }

  /** Takes over the exchange and streams until the client goes away or the hub closes. */
  public void subscribe(Exchange ex, java.util.function.Supplier<TopologyView> latest) {
    if (admitted.incrementAndGet() > maxSubscribers) {
      admitted.decrementAndGet();
      metrics.rejected("sse_subscribers");
      ex.fail(new KvException(ErrorCode.UNAVAILABLE, "this proxy already streams to " + maxSubscribers
          + " topology subscribers (--max-sse-subscribers); retry later or poll /api/topology/events"));
      return;
    }
    try {
      admit(ex, latest);
    } catch (RuntimeException e) {
      admitted.decrementAndGet();
      throw e;
    }
  }

  private void admit(Exchange ex, java.util.function.Supplier<TopologyView> latest) {
    TopologyView current = latest.get();
    Response response = ex.response();
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    Callback done = ex.takeOver(200);
    Subscriber s = new Subscriber();
    s.lastVersion = current.version();
    s.offer(snapshotFrame(current));
    subscribers.add(s);
    // An update published between reading `current` and joining the set would be missed: catch up now.
    TopologyView now = latest.get();
    if (now.version() > s.lastVersion) {
      s.offer(snapshotFrame(now));
      s.lastVersion = now.version();
    }
    Thread.ofVirtual().name("sse-subscriber").start(() -> stream(s, response, done));
  }

  private void stream(Subscriber s, Response response, Callback done) {
    try {
      streamFrames(s, response, done);
    } finally {
      admitted.decrementAndGet();
    }
  }

  private void streamFrames(Subscriber s, Response response, Callback done) {
    try {
      while (true) {
        String frame = s.queue.poll(heartbeat.toMillis(), TimeUnit.MILLISECONDS);
        if (frame == CLOSE) {
          break;
        }
        write(response, frame == null ? ": keep-alive\n\n" : frame);
      }
      subscribers.remove(s);
      response.write(true, null, done);
    } catch (Exception e) {
      subscribers.remove(s);
      LOG.debug("SSE subscriber gone: {}", e.toString());
      done.failed(e);
    }
  }

  private static void write(Response response, String frame) throws Exception {
    Callback.Completable c = new Callback.Completable();
    response.write(false, ByteBuffer.wrap(frame.getBytes(StandardCharsets.UTF_8)), c);
    c.get(30, TimeUnit.SECONDS);
  }

  /** Called with every topology update, in version order. */
  public void publish(TopologyWatcher.Update update) {
    TopologyView view = update.view();
    List<TopologyEvent> events = update.events();
    // Encoded once per update, not once per subscriber: with thousands of subscribers the JSON encoding was the fan-out.
    List<String> changeFrames = events.stream().map(SseHub::changeFrame).toList();
    String snapshotFrame = null;
    for (Subscriber s : subscribers) {
      long from = s.lastVersion;
      boolean contiguous = !events.isEmpty() && events.getFirst().version() <= from + 1;
      if (contiguous) {
        for (int i = 0; i < events.size(); i++) {
          if (events.get(i).version() > from) {
            s.offer(changeFrames.get(i));
          }
        }
      } else if (view.version() > from) {
        if (snapshotFrame == null) {
          snapshotFrame = snapshotFrame(view);
        }
        s.offer(snapshotFrame);
      }
      s.lastVersion = Math.max(from, view.version());
    }
  }

  static String snapshotFrame(TopologyView view) {
    return "id: " + view.version() + "\nevent: snapshot\ndata: "
        + new String(TopologyCodec.encode(view.topology()), StandardCharsets.UTF_8) + "\n\n";
  }

  static String changeFrame(TopologyEvent e) {
    return "id: " + e.version() + "\nevent: change\ndata: "
        + new String(TopologyCodec.encode(e), StandardCharsets.UTF_8) + "\n\n";
  }

  @Override
  public void close() {
    for (Subscriber s : subscribers) {
      s.queue.clear();
      s.queue.offer(CLOSE);
    }
    subscribers.clear();
  }
}
