package io.kvpipe.testsupport;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waiting for a condition with a deadline: the only way tests and fixtures wait. A condition that throws is taken as
 * "not yet" (a cluster mid-election throws), except for {@link Abort}, which ends the wait at once (a child process
 * that died will never become ready).
 */
public final class Poll {
  private Poll() {}

  /** Thrown by a condition that knows it can never become true. */
  public static class Abort extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Abort(String message) {
      super(message);
    }
  }

  /** What {@link #until} throws when its time is up: an assertion failure, so a test that waited in vain fails. */
  public static final class TimedOut extends AssertionError {
    private static final long serialVersionUID = 1L;

    TimedOut(String message) {
      super(message);
    }
  }

  /** Polls {@code condition} every {@code interval} until true; throws with {@code what} when {@code timeout} passes. */
  public static void until(String what, Duration timeout, Duration interval, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Throwable last = null;
    while (true) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (Abort e) {
        throw e;
      } catch (RuntimeException e) {
        last = e;
      }
      if (System.nanoTime() > deadline) {
        AssertionError err = new TimedOut("timed out after " + timeout + " waiting for " + what);
        if (last != null) {
          err.initCause(last);
        }
        throw err;
      }
      LockSupport.parkNanos(interval.toNanos());
      if (Thread.interrupted()) {
        throw new IllegalStateException("interrupted while waiting for " + what);
      }
    }
  }

  /**
   * Polls {@code condition} as {@link #until} does, for a caller to whom a condition that never came is an outcome to
   * count rather than a failure: whether it became true within {@code timeout}.
   */
  public static boolean within(Duration timeout, Duration interval, BooleanSupplier condition) {
    try {
      until("a condition", timeout, interval, condition);
      return true;
    } catch (TimedOut e) {
      return false;
    }
  }

  public static void until(String what, Duration timeout, BooleanSupplier condition) {
    until(what, timeout, Duration.ofMillis(50), condition);
  }

  /** Polls {@code supplier} until it returns non-null, and returns that value. */
  public static <T> T forValue(String what, Duration timeout, Supplier<T> supplier) {
    Object[] box = new Object[1];
    until(what, timeout, () -> (box[0] = supplier.get()) != null);
    @SuppressWarnings("unchecked")
    T t = (T) box[0];
    return t;
  }
}
