package io.kvpipe.client;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fails a future with a {@link TimeoutException} once its deadline passes, like {@link CompletableFuture#orTimeout},
 * for the hot paths that arm one per operation. Why not orTimeout: on JDK 25 each call queues a task in the common
 * pool's delay scheduler and wakes its thread, and the future's completion cancels the task and wakes it again;
 * profiled in the proxy under linearizable gets at c=256 (async-profiler, cpu), that was ~7.5% of the process's CPU,
 * for timeouts that almost never fire.
 *
 * <p>Here arming is one append to a slot of a hashed wheel of {@link #TICK_NANOS} slots, and a future that completes
 * in time costs nothing more: one daemon thread ("kvpipe-deadlines") wakes every tick, walks the slots whose time has
 * come, fails what is still pending past its deadline, drops what completed and puts back what is due in a later turn
 * of the wheel. A timeout fires up to two ticks late, never early. The thread owns the walk; any thread may arm. The
 * futures it fails are failed on a separate pool, so a caller's dependent stage that blocks (a Ratis client whose
 * request window is full) delays no other deadline. A completed operation's entry (~48 bytes) stays in the wheel until
 * its slot is walked, i.e. for its timeout.
 */
public final class DeadlineTimer {
  private static final Logger LOG = LoggerFactory.getLogger(DeadlineTimer.class);
  static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  private static final int SLOTS = 512;

  /** One armed deadline; the future is let go as soon as it completes, so its result is not kept until the walk. */
  private static final class Armed {
    volatile CompletableFuture<?> future;
    final long deadlineNanos;

    Armed(CompletableFuture<?> future, long deadlineNanos) {
      this.future = future;
      this.deadlineNanos = deadlineNanos;
    }
  }

  private static final DeadlineTimer SHARED = new DeadlineTimer(SLOTS);

  private final ConcurrentLinkedQueue<Armed>[] wheel;
  private final ExecutorService expiries = Executors.newCachedThreadPool(
      Thread.ofPlatform().name("kvpipe-deadline-expiry-", 0).daemon().factory());
  /** The first tick the walker has not walked yet; written by the walker only. */
  private volatile long nextTick;

  /** @param slots the wheel's size: it turns once every {@code slots} ticks (a smaller one in tests) */
  @SuppressWarnings("unchecked")
  DeadlineTimer(int slots) {
    wheel = new ConcurrentLinkedQueue[slots];
    for (int i = 0; i < slots; i++) {
      wheel[i] = new ConcurrentLinkedQueue<>();
    }
    nextTick = tickOf(System.nanoTime());
    Thread walker = new Thread(this::walk, "kvpipe-deadlines");
    // A test's timer lives as long as the JVM too; one parked thread per instance.
    walker.setDaemon(true);
    walker.start();
  }

  /** {@code future}, failed with a TimeoutException if it is still pending {@code timeout} (in {@code unit}) from now. */
  public static <T> CompletableFuture<T> orTimeout(CompletableFuture<T> future, long timeout, TimeUnit unit) {
    return SHARED.fail(future, timeout, unit);
  }

  <T> CompletableFuture<T> fail(CompletableFuture<T> future, long timeout, TimeUnit unit) {
    if (!future.isDone()) {
      Armed a = new Armed(future, System.nanoTime() + unit.toNanos(Math.max(0, timeout)));
      arm(a);
      future.whenComplete((r, e) -> a.future = null);
    }
    return future;
  }

  /** The tick a System.nanoTime() instant falls in (nanoTime may be negative: floor, not truncation). */
  static long tickOf(long nanos) {
    return Math.floorDiv(nanos, TICK_NANOS);
  }

  /** The wheel slot of {@code tick}, in range for any tick. */
  static int slotOf(long tick, int slots) {
    return (int) Math.floorMod(tick, (long) slots);
  }

  private void arm(Armed a) {
    // Never into a slot the walker has passed: such an entry would wait a whole turn of the wheel.
    long tick = Math.max(tickOf(a.deadlineNanos), nextTick + 1);
    wheel[slotOf(tick, wheel.length)].add(a);
    // The walker may have caught up past that slot meanwhile (it walks missed ticks back to back after a late wake-up)
    // and counted the slot before the add: then arm again. It sets nextTick before it counts a slot, so a count that
    // missed the add is seen here. An entry in the wheel twice is harmless: a future completes once.
    if (nextTick > tick) {
      arm(a);
    }
  }

  private void walk() {
    while (true) {
      LockSupport.parkNanos(TICK_NANOS);
      long now = System.nanoTime();
      long upTo = tickOf(now);
      for (long tick = nextTick; tick <= upTo; tick++) {
        nextTick = tick + 1;
        ConcurrentLinkedQueue<Armed> slot = wheel[slotOf(tick, wheel.length)];
        // Only what was in the slot when its walk began: entries put back below wait for their own turn.
        for (int n = slot.size(); n > 0; n--) {
          Armed a = slot.poll();
          if (a == null) {
            break;
          }
          try {
            CompletableFuture<?> f = a.future;
            if (f == null || f.isDone()) {
              continue;
            }
            if (a.deadlineNanos - now <= 0) {
              expiries.execute(() -> f.completeExceptionally(new TimeoutException()));
            } else {
              arm(a);
            }
          } catch (Throwable t) {
            // This thread is every deadline's: it must outlive anything one entry does.
            LOG.error("deadline walk: an entry failed; going on", t);
          }
        }
      }
    }
  }
}
