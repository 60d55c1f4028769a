package io.kvpipe.proxy.topology;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.server.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One encoded frame of {@link SseHub}, shared by every subscriber it goes to: its bytes (for {@link Response#write})
 * and the same as one HTTP/1.1 chunk (read-only, for the EndPoint; each writer takes its own view); {@code trace}
 * (tracing only) times its fan-out.
 */
record SseFrame(byte[] bytes, ByteBuffer chunk, SseFrame.Trace trace) {
  /** Stage timing for scripts/bench-topology.sh (off unless KVPIPE_TRACE is set, see logback.xml). */
  private static final Logger TRACE = LoggerFactory.getLogger("kvpipe.trace.topology");

  SseFrame(String text, Trace trace) {
    this(text.getBytes(StandardCharsets.UTF_8), trace);
  }

  SseFrame(byte[] bytes, Trace trace) {
    this(bytes, HttpChunk.of(bytes), trace);
  }

  void settled() {
    if (trace != null) {
      trace.settled();
    }
  }

  /**
   * When a version's frame was handed over and when its writes completed. {@code pending} starts at 1 for the
   * publisher (released when it has offered the frame to everyone), so the line is logged once, after the last write.
   */
  static final class Trace {
    final long version;
    final long published;
    volatile long enqueued;
    final AtomicInteger pending = new AtomicInteger(1);
    final AtomicInteger offered = new AtomicInteger();
    final AtomicLong firstWritten = new AtomicLong(Long.MAX_VALUE);
    final AtomicLong lastWritten = new AtomicLong(Long.MIN_VALUE);
    /** CPU time (ns) the publishing and fan-out threads spent offering this update. */
    final AtomicLong cpu = new AtomicLong();

    Trace(long version, long published) {
      this.version = version;
      this.published = published;
    }

    void offered() {
      pending.incrementAndGet();
      offered.incrementAndGet();
    }

    void written() {
      long now = System.nanoTime();
      firstWritten.accumulateAndGet(now, Math::min);
      lastWritten.accumulateAndGet(now, Math::max);
      settled();
    }

    void settled() {
      if (pending.decrementAndGet() == 0 && offered.get() > 0) {
        TRACE.info("sse-written version={} subscribers={} published={} enqueued={} first={} last={} cpu={}",
            version, offered.get(), published, enqueued, firstWritten.get(), lastWritten.get(), cpu.get());
      }
    }
  }

  /**
   * One view of the frame being fanned out, reused for every subscriber a fan-out thread writes it to (a write that
   * completes at once leaves nothing behind that still needs the view): no buffer allocated per subscriber.
   */
  static final class View {
    private SseFrame frame;
    /** The view, as the array EndPoint.flush takes (its varargs would otherwise allocate one per call). */
    private final ByteBuffer[] view = new ByteBuffer[1];

    ByteBuffer[] of(SseFrame f) {
      if (f != frame) {
        frame = f;
        view[0] = f.chunk().duplicate();
      } else {
        view[0].rewind();
      }
      return view;
    }
  }
}
