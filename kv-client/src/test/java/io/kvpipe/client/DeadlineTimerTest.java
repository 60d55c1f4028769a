package io.kvpipe.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** A deadline fails a pending future, never before it is due and not long after; a completed future is left alone. */
class DeadlineTimerTest {
  private final DeadlineTimer timer = new DeadlineTimer(8); // one turn of the wheel every 80 ms

  @Test
  void aPendingFutureFailsWithATimeoutOnceItsDeadlinePassed() {
    long start = System.nanoTime();
    CompletableFuture<String> f = timer.fail(new CompletableFuture<>(), 50, TimeUnit.MILLISECONDS);
    awaitDone(f);
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(elapsedMs).as("never before the deadline").isGreaterThanOrEqualTo(50);
    assertThat(f).isCompletedExceptionally();
    assertThat(f.handle((v, e) -> e).join()).isInstanceOf(TimeoutException.class);
  }

  @Test
  void aDeadlineFurtherThanOneTurnOfTheWheelWaitsItsTurns() {
    long start = System.nanoTime();
    CompletableFuture<String> f = timer.fail(new CompletableFuture<>(), 300, TimeUnit.MILLISECONDS);
    awaitDone(f);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(300);
    assertThat(f).isCompletedExceptionally();
  }

  /** System.nanoTime may be negative (its origin is arbitrary): ticks floor, slots stay in range (review finding). */
  @Test
  void negativeNanoTimesMapToTicksAndSlotsInRange() {
    assertThat(DeadlineTimer.tickOf(-1)).isEqualTo(-1);
    assertThat(DeadlineTimer.tickOf(-DeadlineTimer.TICK_NANOS)).isEqualTo(-1);
    assertThat(DeadlineTimer.tickOf(-DeadlineTimer.TICK_NANOS - 1)).isEqualTo(-2);
    assertThat(DeadlineTimer.tickOf(DeadlineTimer.TICK_NANOS - 1)).isZero();
    for (long tick : new long[] {-1, -7, -8, -9, Long.MIN_VALUE, Long.MAX_VALUE, 0, 13}) {
      assertThat(DeadlineTimer.slotOf(tick, 8)).as("tick %d", tick).isBetween(0, 7);
    }
    assertThat(DeadlineTimer.slotOf(-1, 8)).isEqualTo(7);
  }

  @Test
  void anAlreadyCompletedFutureIsNotArmed() {
    CompletableFuture<String> done = CompletableFuture.completedFuture("v");
    assertThat(DeadlineTimer.orTimeout(done, 0, TimeUnit.MILLISECONDS)).isSameAs(done);
    assertThat(done.join()).isEqualTo("v");
  }

  @Test
  void theSharedTimerFailsWhatTheCallerChainsOn() {
    CompletableFuture<String> f = DeadlineTimer.orTimeout(new CompletableFuture<>(), 10, TimeUnit.MILLISECONDS);
    awaitDone(f);
    assertThat(f.thenApply(String::length).handle((v, e) -> e instanceof CompletionException c ? c.getCause() : e)
        .join()).isInstanceOf(TimeoutException.class);
  }

  /** Waits (bounded) for {@code f} to complete either way. */
  private static void awaitDone(CompletableFuture<?> f) {
    try {
      f.handle((v, e) -> null).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("not completed within 5 s", e);
    }
  }
}
