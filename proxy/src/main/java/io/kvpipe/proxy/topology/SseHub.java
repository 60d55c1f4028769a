package io.kvpipe.proxy.topology;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.topology.TopologyCodec;
import io.kvpipe.common.topology.TopologyEvent;
import io.kvpipe.proxy.ProxyMetrics;
import io.kvpipe.proxy.http.Exchange;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server-Sent Events for {@code /api/topology/subscribe}. A subscriber first gets an {@code event: snapshot} with the
 * whole topology, then one {@code event: change} per topology event (id = the version it produced), and a comment
 * every {@code heartbeat} so idle connections stay open. If the event log lost events the subscriber missed, it gets a
 * fresh snapshot instead.
 *
 * <p>Writes are asynchronous: {@link #publish} (the watcher's thread) encodes each frame once and hands the same bytes
 * to every subscriber's non-blocking write; a subscriber with a write still in flight queues the frame
 * and its write completion sends the next one. No thread is held per subscriber and nobody waits for a flush: with a
 * thread per subscriber doing blocking writes, 2,000 subscribers meant 2,000 thread wake-ups and 2,000 waits on two
 * cores per change (change -> event p99 221-320 ms in scripts/bench-topology.sh).
 *
 * <p>Over HTTP/1.1 a frame goes straight to the connection's {@link EndPoint}: Jetty commits the headers (chunked
 * transfer coding), then each frame is one pre-framed chunk ({@code <hex length>\r\n<frame>\r\n}, encoded once per
 * frame) written by a non-blocking {@link EndPoint#flush} on the publishing thread, the end of the stream again through
 * Jetty (its last chunk). Through {@link Response#write} every write also went through Jetty's HTTP/1 generator, a
 * pooled chunk-header buffer, a gathering write and an iterating callback: that was most of the fan-out's ~8 us of CPU
 * per subscriber (scripts/bench-topology.sh, sse_fanout_cpu). A write the socket does not take at once completes
 * through {@link EndPoint#write} (Jetty's write flusher). Streams Jetty does not chunk (HTTP/1.0, or a client that
 * sent {@code Connection: close}) keep {@link Response#write}; {@code -Dkvpipe.sse.rawWrites=false} forces it (to
 * compare in benchmarks).
 *
 * <p>A slow subscriber cannot stall the others: each has at most {@code queueFrames} frames queued behind its pending
 * write; past that it is dropped (counted as {@code sse_queue_full}, logged with the reason): what is queued is
 * discarded, an {@code event: dropped} frame saying why and the end of the stream are queued in its place, and if the
 * client has not read them within {@link #DROP_GRACE} its connection is aborted. At most {@code maxSubscribers} at once
 * (503 beyond).
 */
public final class SseHub implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SseHub.class);
  /** Stage timing for scripts/bench-topology.sh (off unless KVPIPE_TRACE is set, see logback.xml). */
  private static final Logger TRACE = LoggerFactory.getLogger("kvpipe.trace.topology");
  static final Duration DROP_GRACE = Duration.ofSeconds(5);
  private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();
  private static final SseFrame KEEP_ALIVE = new SseFrame(": keep-alive\n\n", null);
  /** Marks the end of a stream in a subscriber's queue (written as the response's last, empty write). */
  private static final SseFrame END = new SseFrame(new byte[0], null, null);
  /** The first write of a stream written to the EndPoint: Jetty commits the headers (and picks chunking), no body. */
  private static final SseFrame HEADERS = new SseFrame(new byte[0], null, null);
  /** Whether HTTP/1.1 streams are written to the EndPoint (see the class comment); a property for benchmarks. */
  private static final boolean RAW_WRITES = Boolean.parseBoolean(System.getProperty("kvpipe.sse.rawWrites", "true"));

  private final Duration heartbeat;
  private final int maxSubscribers;
  private final int queueFrames;
  private final ProxyMetrics metrics;
  private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
  /** Dropped subscribers given {@link #DROP_GRACE} to read their last frames; {@link #close} aborts them at once. */
  private final Set<Subscriber> dropped = ConcurrentHashMap.newKeySet();
  /** Subscribers admitted and not yet finished (a dropped one holds its place until its connection ends). */
  private final AtomicInteger admitted = new AtomicInteger();
  /** Writes one update to every subscriber, on the publishing thread and its helpers. */
  private final SliceFanOut fanOut;
  /** Heartbeats and the abort of dropped subscribers that do not read their last frames. */
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "sse-timer");
    t.setDaemon(true);
    return t;
  });

  public SseHub(Duration heartbeat, int maxSubscribers, int queueFrames, ProxyMetrics metrics) {
    this(heartbeat, maxSubscribers, queueFrames, metrics, SliceFanOut.defaultThreads());
  }

  SseHub(Duration heartbeat, int maxSubscribers, int queueFrames, ProxyMetrics metrics, int fanoutThreads) {
    this(heartbeat, maxSubscribers, queueFrames, metrics, fanoutThreads, null);
  }

  /** {@code helpers} null: the hub's own pool of {@code fanoutThreads - 1} threads. */
  SseHub(Duration heartbeat, int maxSubscribers, int queueFrames, ProxyMetrics metrics, int fanoutThreads,
         Executor helpers) {
    this.fanOut = new SliceFanOut(fanoutThreads, helpers);
    this.heartbeat = heartbeat;
    this.maxSubscribers = maxSubscribers;
    this.queueFrames = queueFrames;
    this.metrics = metrics;
    long period = Math.max(1, heartbeat.toMillis() / 2);
    timer.scheduleWithFixedDelay(this::heartbeats, period, period, TimeUnit.MILLISECONDS);
  }

  /** One stream. At most one write in flight; the frames behind it wait in {@code queue} (all under this lock). */
  private final class Subscriber implements Callback {
    final Response response;
    final Callback done;
    /** The connection's EndPoint when frames are written to it as chunks (HTTP/1.1), else null: Response.write. */
    private final EndPoint raw;
    private final ArrayDeque<SseFrame> queue = new ArrayDeque<>();
    private final AtomicBoolean finished = new AtomicBoolean();
    private SseFrame writing;
    private boolean closing;
    volatile long lastVersion;
    volatile long lastWriteNanos = System.nanoTime();

    Subscriber(Response response, Callback done, EndPoint raw) {
      this.response = response;
      this.done = done;
      this.raw = raw;
    }

    void offer(SseFrame f) {
      offer(f, null);
    }

    void offer(SseFrame f, SseFrame.View scratch) {
      if (f.trace() != null) {
        f.trace().offered();
      }
      boolean dropped = false;
      synchronized (this) {
        if (closing) {
          f.settled();
          return;
        }
        if (writing != null) {
          if (queue.size() < queueFrames) {
            queue.add(f);
            return;
          }
          f.settled();
          dropped = true;
          closeWith(new SseFrame(droppedFrame(queueFrames), null));
        } else {
          writing = f;
        }
      }
      if (dropped) {
        dropSlow();
      } else {
        send(f, scratch);
      }
    }

    /** Ends a dropped stream after {@code last}: what is queued and not yet in flight is discarded. */
    private void closeWith(SseFrame last) {
      assert Thread.holdsLock(this);
      closing = true;
      queue.forEach(SseFrame::settled);
      queue.clear();
      queue.add(last);
      queue.add(END);
    }

    private void dropSlow() {
      // Counted before it leaves the set: whoever sees it gone (a test, a probe) sees why. Only one offer drops a
      // subscriber (closing is set under its lock) and a failed one never gets here, so this counts each drop once.
      metrics.rejected("sse_queue_full");
      dropped.add(this); // before the grace is scheduled: a close() from now on either finds it here or ends it below
      subscribers.remove(this);
      LOG.info("SSE subscriber dropped: {} frames queued behind a write it has not read", queueFrames);
      // Its pending write may never complete if the client stopped reading: abort after a grace period.
      IOException reason = new IOException("SSE subscriber dropped: " + queueFrames + " frames queued and not read");
      try {
        timer.schedule(() -> finish(reason), DROP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException closing) {
        finish(reason); // the hub is closing: no grace
      }
    }

    /**
     * Ends the stream cleanly (hub closing) after the frames already published to it: a subscriber that was told of a
     * change before the close gets it, whether or not its write had started.
     */
    void end() {
      boolean idle;
      synchronized (this) {
        if (closing) {
          return;
        }
        closing = true;
        queue.add(END);
        idle = writing == null;
        if (idle) {
          writing = queue.poll();
        }
      }
      if (idle) {
        send(END, null);
      }
    }

    /**
     * Writes {@code f} (this subscriber's write slot is held for it) and, while writes complete at once, what queued
     * behind it. A write that does not complete at once is finished by Jetty, which then calls {@link #succeeded}.
     */
    private void send(SseFrame f, SseFrame.View scratch) {
      while (f != null) {
        if (f == END) {
          response.write(true, null, Callback.from(() -> finish(null), this::finish));
          return;
        }
        lastWriteNanos = System.nanoTime();
        if (raw == null) {
          response.write(false, ByteBuffer.wrap(f.bytes()), this);
          return;
        }
        if (f == HEADERS) {
          response.write(false, BufferUtil.EMPTY_BUFFER, this);
          return;
        }
        ByteBuffer[] b = scratch != null ? scratch.of(f) : new ByteBuffer[] {f.chunk().duplicate()};
        try {
          if (!raw.flush(b)) {
            // The socket took part of it (or nothing): the rest goes when it can take more. Not the shared view:
            // the next subscriber reuses that.
            raw.write(this, scratch != null ? b[0].slice() : b[0]);
            return;
          }
        } catch (IOException | RuntimeException e) {
          failed(e);
          return;
        }
        f = written();
        scratch = null;
      }
    }

    /** The write in flight completed: releases the write slot to the next queued frame (returned, to be sent). */
    private SseFrame written() {
      SseFrame sent;
      SseFrame next;
      synchronized (this) {
        sent = writing;
        next = queue.poll();
        writing = next;
      }
      if (sent != null && sent.trace() != null) {
        sent.trace().written();
      }
      return next;
    }

    @Override
    public void succeeded() {
      SseFrame next = written();
      if (next != null) {
        send(next, null);
      }
    }

    @Override
    public void failed(Throwable x) {
      List<SseFrame> left;
      synchronized (this) {
        closing = true;
        left = new ArrayList<>(queue);
        if (writing != null) {
          left.add(writing);
        }
        queue.clear();
        writing = null;
      }
      left.forEach(SseFrame::settled);
      LOG.debug("SSE subscriber gone: {}", x.toString());
      finish(x);
    }

    /** Completes the exchange once, whichever of the last write, a failure or the drop deadline comes first. */
    private void finish(Throwable failure) {
      if (!finished.compareAndSet(false, true)) {
        return;
      }
      subscribers.remove(this);
      dropped.remove(this);
      admitted.decrementAndGet();
      if (failure == null) {
        done.succeeded();
      } else {
        done.failed(failure);
      }
    }

    @Override
    public InvocationType getInvocationType() {
      // Completing a write only writes what queued behind it (non-blocking): Jetty may run it on its selector thread.
      return InvocationType.NON_BLOCKING;
    }
  }

  public int subscriberCount() {
    return subscribers.size();
  }

  /** Takes over the exchange and streams until the client goes away or the hub closes. */
  public void subscribe(Exchange ex, Supplier<TopologyView> latest) {
    if (admitted.incrementAndGet() > maxSubscribers) {
      admitted.decrementAndGet();
      metrics.rejected("sse_subscribers");
      ex.fail(new KvException(ErrorCode.UNAVAILABLE, "this proxy already streams to " + maxSubscribers
          + " topology subscribers (--max-sse-subscribers); retry later or poll /api/topology/events"));
      return;
    }
    Callback done;
    TopologyView current;
    Response response = ex.response();
    try {
      current = latest.get();
      response.setStatus(200);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
      done = ex.takeOver(200);
    } catch (RuntimeException e) {
      admitted.decrementAndGet();
      throw e;
    }
    EndPoint raw = RAW_WRITES ? chunkedEndPoint(ex.request()) : null;
    Subscriber s = new Subscriber(response, done, raw);
    s.lastVersion = current.version();
    SseFrame snapshot = new SseFrame(snapshotFrame(current), null);
    SseFrame first = raw != null ? HEADERS : snapshot;
    synchronized (s) {
      s.writing = first; // holds the write slot: a change published from now on queues behind the snapshot
      if (first != snapshot) {
        s.queue.add(snapshot);
      }
    }
    subscribers.add(s);
    s.send(first, null);
    // An update published between reading `current` and joining the set would be missed: catch up now. publish and
    // this both move lastVersion under the subscriber's lock before offering, so each version goes out once.
    TopologyView now = latest.get();
    synchronized (s) {
      if (now.version() <= s.lastVersion) {
        return;
      }
      s.lastVersion = now.version();
    }
    s.offer(new SseFrame(snapshotFrame(now), null));
  }

  /**
   * The connection's EndPoint if this response goes out with HTTP/1.1 chunked transfer coding, which is what frames
   * written to it as chunks need; else null. Jetty chunks a response without a length on a persistent HTTP/1.1
   * connection; one the client asked to close ({@code Connection: close}) it ends at the close instead, unchunked.
   */
  private static EndPoint chunkedEndPoint(Request request) {
    var connection = request.getConnectionMetaData();
    if (connection.getHttpVersion() != HttpVersion.HTTP_1_1 || !connection.isPersistent()) {
      return null;
    }
    return connection.getConnection().getEndPoint();
  }

  /** Called with every topology update, in version order. */
  public void publish(TopologyWatcher.Update update) {
    long published = System.nanoTime();
    TopologyView view = update.view();
    List<TopologyEvent> events = update.events();
    boolean trace = TRACE.isInfoEnabled();
    // Encoded once per update, not once per subscriber: with thousands of subscribers the JSON encoding was the fan-out.
    List<SseFrame> changeFrames = events.stream()
        .map(e -> new SseFrame(changeFrame(e), trace ? new SseFrame.Trace(e.version(), published) : null)).toList();
    // Built up front (cheap next to the fan-out) so the slices share it without coordinating.
    SseFrame snapshot = new SseFrame(snapshotFrame(view), trace ? new SseFrame.Trace(view.version(), published) : null);
    Subscriber[] all = subscribers.toArray(Subscriber[]::new);
    AtomicLong cpu = trace ? snapshot.trace().cpu : null;
    // Each write is a system call made right here (Jetty writes as far as the socket takes it): helper threads may
    // share the subscribers' slices with this thread; run returns once every one is written.
    fanOut.run(all.length, (from, to) -> offerAll(all, from, to, view, events, changeFrames, snapshot, cpu));
    long enqueued = System.nanoTime();
    if (trace) {
      for (SseFrame f : changeFrames) {
        f.trace().cpu.set(snapshot.trace().cpu.get());
        f.trace().enqueued = enqueued;
        f.settled();
      }
      snapshot.trace().enqueued = enqueued;
      snapshot.settled();
    }
  }

  private static void offerAll(Subscriber[] all, int from, int to, TopologyView view, List<TopologyEvent> events,
                               List<SseFrame> changeFrames, SseFrame snapshot, AtomicLong cpu) {
    long cpuStart = cpu == null ? 0 : cpuNow();
    SseFrame.View scratch = new SseFrame.View();
    for (int n = from; n < to; n++) {
      Subscriber s = all[n];
      long last;
      synchronized (s) {
        last = s.lastVersion;
        s.lastVersion = Math.max(last, view.version());
      }
      boolean contiguous = !events.isEmpty() && events.getFirst().version() <= last + 1;
      if (contiguous) {
        for (int i = 0; i < events.size(); i++) {
          if (events.get(i).version() > last) {
            s.offer(changeFrames.get(i), scratch);
          }
        }
      } else if (view.version() > last) {
        s.offer(snapshot, scratch);
      }
    }
    if (cpu != null) {
      cpu.addAndGet(cpuNow() - cpuStart);
    }
  }

  /** This thread's CPU time, 0 on a virtual thread (not measured there: the reload after a WRONG_GROUP reply). */
  private static long cpuNow() {
    return Thread.currentThread().isVirtual() ? 0 : THREADS.getCurrentThreadCpuTime();
  }

  private void heartbeats() {
    long idle = System.nanoTime() - heartbeat.toNanos() / 2;
    for (Subscriber s : subscribers) {
      if (s.lastWriteNanos - idle < 0) {
        s.offer(KEEP_ALIVE);
      }
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

  static String droppedFrame(int queueFrames) {
    return "event: dropped\ndata: {\"error\":\"SLOW_SUBSCRIBER\",\"message\":\"this stream fell " + queueFrames
        + " frames behind (--sse-queue-frames) and was closed; reconnect for a fresh snapshot\"}\n\n";
  }

  @Override
  public void close() {
    timer.shutdownNow(); // drops the grace deadlines of dropped subscribers: ended here instead
    fanOut.close();
    for (Subscriber s : dropped) {
      s.finish(new IOException("SSE subscriber dropped and not read when the proxy's topology stream closed"));
    }
    for (Subscriber s : subscribers) {
      s.end();
    }
    subscribers.clear();
  }
}
