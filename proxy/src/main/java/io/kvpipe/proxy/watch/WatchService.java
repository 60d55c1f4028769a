package io.kvpipe.proxy.watch;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.proxy.ProxyMetrics;
import io.kvpipe.proxy.http.Exchange;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/watch}: admits a watcher (at most {@code maxWatchers}, 503 beyond), checks a resume position against
 * the topic (400 if it cannot be one of this topic's, 410 if retention already deleted records it needs), registers
 * it with the live feed, runs its catch-up if it resumes, and streams its frames as Server-Sent Events from one
 * virtual thread per watcher (so a slow client only ever slows itself, and is cut off once its queue is full).
 */
public final class WatchService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WatchService.class);
  private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);

  private final WatchConfig config;
  private final ProxyMetrics metrics;
  private final ExecutorService blocking;
  private final Fanout fanout;
  private final ChangeFeed feed;
  private final CatchUp catchUp;
  private final Semaphore catchUpPermits;
  private final AtomicInteger admitted = new AtomicInteger();
  private final AtomicInteger catchingUp = new AtomicInteger();
  private final Object probeLock = new Object();
  private KafkaConsumer<byte[], byte[]> probe;

  public WatchService(WatchConfig config, ProxyMetrics metrics, ExecutorService blocking) {
    this(config, metrics, blocking, null);
  }

  /** With {@code fanout} given (tests): no Kafka feed; the test dispatches into it. */
  WatchService(WatchConfig config, ProxyMetrics metrics, ExecutorService blocking, Fanout fanout) {
    this.config = config;
    this.metrics = metrics;
    this.blocking = blocking;
    this.fanout = fanout != null ? fanout : new Fanout(w -> metrics.watchCutOff(w.closeCode()));
    this.feed = fanout == null && config.enabled() ? new ChangeFeed(config, this.fanout, metrics) : null;
    this.catchUp = new CatchUp(config, metrics);
    this.catchUpPermits = new Semaphore(config.catchUpReaders());
    metrics.gauge("kvpipe.proxy.watch.watchers", admitted::get);
    metrics.gauge("kvpipe.proxy.watch.catching.up", catchingUp::get);
  }

  public void start() {
    if (feed != null) {
      feed.start();
    }
  }

  public void watch(Exchange ex) {
    if (!config.enabled()) {
      throw new KvException(ErrorCode.NOT_FOUND, "watching is off on this proxy: start it with "
          + "--kafka-bootstrap (the change topic's Kafka)");
    }
    WatchRequest req = WatchRequest.parse(ex.query(), ex.header("Last-Event-ID"));
    if (!fanout.ready()) {
      throw new KvException(ErrorCode.UNAVAILABLE, "this proxy's change feed is not reading the topic yet");
    }
    if (admitted.incrementAndGet() > config.maxWatchers()) {
      admitted.decrementAndGet();
      metrics.rejected("watchers");
      throw new KvException(ErrorCode.UNAVAILABLE, "this proxy already streams to " + config.maxWatchers()
          + " watchers (--watch-max-watchers); retry later or on another proxy");
    }
    if (req.from().isEmpty()) {
      try {
        begin(ex, req, null);
      } catch (RuntimeException e) {
        admitted.decrementAndGet();
        throw e;
      }
      return;
    }
    blocking.execute(() -> {
      try {
        begin(ex, req, checkedAgainstTopic(req.from().get()));
      } catch (RuntimeException e) {
        admitted.decrementAndGet();
        ex.fail(e);
      }
    });
  }

  private void begin(Exchange ex, WatchRequest req, List<TopicPartition> parts) {
    Response response = ex.response();
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    Watcher w = new Watcher(req, config.queueEvents(), config.queueBytes());
    long[] from = req.from().map(WatchPosition::toArray).orElse(null);
    long[] target = fanout.register(w, from); // may refuse (the feed stopped): before the response is taken over
    Callback done = ex.takeOver(200);
    Thread.ofVirtual().name("watch-stream").start(() -> stream(w, response, done));
    if (from != null) {
      Thread.ofVirtual().name("watch-catchup").start(() -> resume(w, from, target, parts));
    }
  }

  private void resume(Watcher w, long[] from, long[] target, List<TopicPartition> parts) {
    catchingUp.incrementAndGet();
    try {
      catchUpPermits.acquire();
      try {
        catchUp.run(w, from, target, parts);
      } finally {
        catchUpPermits.release();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      w.close("UNAVAILABLE", "the proxy is shutting down");
    } catch (RuntimeException e) {
      LOG.warn("watch catch-up failed: {}", e.toString());
      w.close("UNAVAILABLE", "resuming failed (" + e.getClass().getSimpleName() + "); reconnect with the last id");
    } finally {
      catchingUp.decrementAndGet();
    }
  }

  private void stream(Watcher w, Response response, Callback done) {
    try {
      while (true) {
        WatchFrames.Frame f = w.take(config.heartbeat().toMillis());
        if (f == Watcher.END) {
          if (w.closeCode() != null) {
            write(response, WatchFrames.error(w.closeCode(), w.closeMessage()));
          }
          break;
        }
        write(response, f == null ? WatchFrames.KEEP_ALIVE : f.bytes());
        if (f != null && f.change()) {
          metrics.watchEventSent();
        }
      }
      response.write(true, null, done);
    } catch (Exception e) {
      w.close(null, null);
      LOG.debug("watcher gone: {}", e.toString());
      done.failed(e);
    } finally {
      fanout.unregister(w);
      admitted.decrementAndGet();
    }
  }

  private static void write(Response response, byte[] frame) throws Exception {
    Callback.Completable c = new Callback.Completable();
    response.write(false, ByteBuffer.wrap(frame), c);
    c.get(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The topic's partitions, once the token is known to be a position in them that Kafka still holds. */
  private List<TopicPartition> checkedAgainstTopic(WatchPosition from) {
    synchronized (probeLock) {
      if (probe == null) {
        probe = TopicReaders.open(config.kafkaBootstrap().orElseThrow(), "kvpipe-proxy-watch-probe");
      }
      List<TopicPartition> parts = TopicReaders.partitions(probe, config.topic(), Duration.ofSeconds(10));
      if (parts.size() != from.partitions() || parts.size() != fanout.partitions()) {
        throw new KvException(ErrorCode.MALFORMED_REQUEST, "the watch position names " + from.partitions()
            + " partitions; the change topic has " + parts.size() + ": it is not a position of this cluster");
      }
      probe.assign(parts); // offsets of unassigned partitions work too, but the client logs a warning per call
      long[] begin = TopicReaders.offsets(probe.beginningOffsets(parts), parts);
      long[] end = TopicReaders.offsets(probe.endOffsets(parts), parts);
      for (int p = 0; p < parts.size(); p++) {
        if (from.offset(p) > end[p]) {
          throw new KvException(ErrorCode.MALFORMED_REQUEST, "the watch position is past the end of partition "
              + p + " (" + from.offset(p) + " > " + end[p] + "): it is not a position of this cluster's topic");
        }
        if (from.offset(p) < begin[p]) {
          throw new KvException(ErrorCode.POSITION_EXPIRED, "the change topic no longer holds partition " + p
              + " from offset " + from.offset(p) + " (retention; it starts at " + begin[p] + "): changes since that "
              + "position cannot be replayed. Read the keys again and watch from now");
        }
      }
      return parts;
    }
  }

  @Override
  public void close() throws Exception {
    if (feed != null) {
      feed.close();
    }
    fanout.closeAll("UNAVAILABLE", "the proxy is shutting down; reconnect (to another proxy) with the last id");
    synchronized (probeLock) {
      if (probe != null) {
        probe.close(Duration.ofSeconds(2));
      }
    }
  }
}
