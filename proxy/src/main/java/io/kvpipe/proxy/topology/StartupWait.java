package io.kvpipe.proxy.topology;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Paces one of the proxy's start-up waits (for the meta group, for a topology): its deadline, none for a zero timeout
 * (under an orchestrator the meta group may come up minutes later: giving up only restarts the wait), and a progress
 * line every {@link #PROGRESS_EVERY} so a wait that never ends says what it waits for. Used by one thread.
 */
final class StartupWait {
  private static final Logger LOG = LoggerFactory.getLogger(StartupWait.class);
  static final Duration PROGRESS_EVERY = Duration.ofSeconds(10);

  private final String what;
  private final long startNanos = System.nanoTime();
  private final long timeoutNanos;
  private long nextProgressNanos = startNanos + PROGRESS_EVERY.toNanos();

  StartupWait(Duration timeout, String what) {
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("a start-up timeout cannot be negative: " + timeout);
    }
    this.timeoutNanos = timeout.toNanos();
    this.what = what;
  }

  boolean expired() {
    return timeoutNanos > 0 && System.nanoTime() - startNanos > timeoutNanos;
  }

  /** Logs, at most once per {@link #PROGRESS_EVERY}, that the wait goes on and why. */
  void progress(String detail) {
    long now = System.nanoTime();
    if (now - nextProgressNanos < 0) {
      return;
    }
    nextProgressNanos = now + PROGRESS_EVERY.toNanos();
    LOG.warn("still waiting for {} after {} s{}: {}", what, Duration.ofNanos(now - startNanos).toSeconds(),
        timeoutNanos > 0 ? " (gives up after " + Duration.ofNanos(timeoutNanos).toSeconds() + " s)" : "", detail);
  }
}
