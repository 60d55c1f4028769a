package io.kvpipe.proxy.topology;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one piece of work over {@code n} items in slices of {@link #SLICE}, on the calling thread helped by up to
 * {@code threads - 1} helper threads, and returns once every slice is done (so the next call's writes come after this
 * one's: each SSE subscriber still sees versions in order).
 *
 * <p>Why slices from a shared counter rather than a fixed share per thread: on the 2-core box the subscribers' readers,
 * the nodes and the fan-out share the cores, and a thread that starts late or loses its core would finish its fixed
 * share alone after the others are done. Here it leaves its part to whoever is running, and a helper that has not
 * started when every slice is taken is skipped, not waited for (with a helper that never got a core, the old split never
 * returned). Thread-safe; {@link #close} shuts down the pool it owns.
 */
final class SliceFanOut implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SliceFanOut.class);
  /** Items per slice (about 1 ms of SSE writes here); work over one slice or fewer runs on the caller alone. */
  static final int SLICE = 128;

  /** Writes items {@code from} (inclusive) to {@code to} (exclusive). */
  @FunctionalInterface
  interface Slice {
    void run(int from, int to);
  }

  /** Threads running one call: the caller and up to {@code threads - 1} helpers. */
  private final int threads;
  private final Executor helpers;
  private final ExecutorService ownPool;

  /** @param helpers runs the helpers; null: a pool of this fan-out's own ({@code threads - 1} daemon threads) */
  SliceFanOut(int threads, Executor helpers) {
    this.threads = Math.max(1, threads);
    this.ownPool = helpers != null ? null : Executors.newFixedThreadPool(Math.max(1, this.threads - 1), r -> {
      Thread t = new Thread(r, "sse-fanout");
      t.setDaemon(true);
      return t;
    });
    this.helpers = helpers != null ? helpers : ownPool;
  }

  /**
   * Half the cores. On the loaded 2-core bench box a second thread does not pay: the writes are mostly kernel time
   * (loopback TCP, the subscribers' receive side included) and the other core is busy with the subscribers' readers and
   * the nodes. With blocking writes a second thread made the fan-out slower (2,000 subscribers: 237 ms vs 72 ms p50 to
   * hand out); with the non-blocking chunk writes and slices taken as threads get to them, 1 vs 2 threads alternated
   * update by update in one JVM (2,000 subscribers each, load 28-36): last arrival p50 43.4/40.6 vs 42.3/42.6 ms.
   */
  static int defaultThreads() {
    return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  }

  /** Runs {@code slice} over items 0..n-1 and returns when all of them are done. */
  void run(int n, Slice slice) {
    int slices = (n + SLICE - 1) / SLICE;
    int wanted = Math.min(threads, slices) - 1;
    if (wanted <= 0) {
      slice.run(0, n);
      return;
    }
    AtomicInteger next = new AtomicInteger();
    Runnable work = () -> {
      for (int s = next.getAndIncrement(); s < slices; s = next.getAndIncrement()) {
        slice.run(s * SLICE, Math.min(n, (s + 1) * SLICE));
      }
    };
    List<Helper> started = new ArrayList<>(wanted);
    for (int h = 0; h < wanted; h++) {
      Helper helper = new Helper(work);
      try {
        helpers.execute(helper);
        started.add(helper);
      } catch (RejectedExecutionException closing) {
        break; // closing: the caller runs alone
      }
    }
    try {
      work.run();
    } finally {
      // Every slice is taken. A helper still running one is waited for; one that has not started yet is told not to
      // (it would find nothing left): a helper thread that did not get a core in time costs this call nothing.
      for (Helper h : started) {
        h.awaitOrSkip();
      }
    }
  }

  @Override
  public void close() {
    if (ownPool != null) {
      ownPool.shutdownNow();
    }
  }

  /** One helper's part of a call: runs {@code work} unless the caller got there first (then nothing). */
  private static final class Helper implements Runnable {
    private static final int WAITING = 0;
    private static final int RUNNING = 1;
    private static final int SKIPPED = 2;
    private final Runnable work;
    private final AtomicInteger state = new AtomicInteger(WAITING);
    private final CountDownLatch done = new CountDownLatch(1);

    Helper(Runnable work) {
      this.work = work;
    }

    @Override
    public void run() {
      if (!state.compareAndSet(WAITING, RUNNING)) {
        return;
      }
      try {
        work.run();
      } catch (RuntimeException e) {
        LOG.error("SSE fan-out failed", e);
      } finally {
        done.countDown();
      }
    }

    /** Returns once this helper has finished, or at once if it had not started (it then never runs the work). */
    void awaitOrSkip() {
      if (state.compareAndSet(WAITING, SKIPPED)) {
        return;
      }
      try {
        done.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
