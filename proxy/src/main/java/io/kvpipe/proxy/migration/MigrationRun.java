package io.kvpipe.proxy.migration;

import io.kvpipe.common.error.KvException;
import io.kvpipe.proxy.ProxyMetrics;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One coordinator's run of one migration, from the step its record names to the end, or until it loses the lease.
 * Every record change is a read-modify-write that first checks this coordinator still holds the lease, so a
 * coordinator that was taken over notices at its next write (a heartbeat at the latest) and stops.
 *
 * <p>Threads: {@link #run()} on its own virtual thread (the steps, blocking); a heartbeat virtual thread renews the
 * lease and saves progress every heartbeat interval. Record writes of the two are serialized here.
 */
abstract class MigrationRun implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(MigrationRun.class);

  /** This coordinator no longer holds the migration's lease. */
  static final class LeaseLost extends RuntimeException {
    LeaseLost(String holder) {
      super("the lease is held by " + (holder.isEmpty() ? "nobody" : holder), null, false, false);
    }
  }

  /** Everything a run needs from its coordinator. */
  record Context(String coordinatorId, MigrationStore store, ShardOps ops, MigrationSettings settings,
                 ProxyMetrics metrics) {}

  protected final String id;
  protected final Context ctx;
  protected final Retrying retrying;
  private final Object writes = new Object();
  private volatile boolean stopped;
  private volatile String pendingError;
  private volatile String waiting;
  private long lastLogNanos = System.nanoTime();

  MigrationRun(String id, Context ctx) {
    this.id = id;
    this.ctx = ctx;
    this.retrying = new Retrying(this::shouldStop, this::noteError, ctx.settings().maxBackoff());
  }

  /** Runs steps until the migration ends, and returns. */
  protected abstract void steps();

  /** Adds this run's progress to a heartbeat write. */
  protected MigrationRecord withProgress(MigrationRecord r, long nowMs) {
    return r;
  }

  /** Takes settings (throttle, cancel request) another proxy wrote into the record. */
  protected void observe(MigrationRecord r) {}

  /** One progress log line. */
  protected abstract String progressLine(MigrationRecord r);

  @Override
  public final void run() {
    Thread heartbeat = Thread.ofVirtual().name("migration-heartbeat-" + id).start(this::heartbeats);
    try {
      steps();
    } catch (LeaseLost e) {
      LOG.warn("migration {}: stopping, {}", id, e.getMessage());
    } catch (Retrying.Stopped e) {
      LOG.info("migration {}: stopped", id);
    } catch (RuntimeException e) {
      LOG.error("migration {}: coordinator run failed; another attempt follows the lease", id, e);
    } finally {
      stopped = true;
      heartbeat.interrupt();
    }
  }

  void stop() {
    stopped = true;
  }

  boolean stopped() {
    return stopped;
  }

  /** Whether copy loops should stop now (subclasses add cancel requests). */
  protected boolean shouldStop() {
    return stopped;
  }

  /** Remembers a retried failure; the next heartbeat writes it into the record. */
  protected void noteError(String message) {
    if (!message.equals(pendingError)) {
      LOG.warn("migration {}: {}", id, message);
    }
    pendingError = message;
  }

  /** Changes the record if this coordinator holds the lease (else {@link LeaseLost}). Ended records are left alone. */
  protected MigrationRecord write(UnaryOperator<MigrationRecord> change) {
    synchronized (writes) {
      return ctx.store().update(id, c -> {
        MigrationRecord r = c.record();
        if (!r.coordinator().equals(ctx.coordinatorId())) {
          stopped = true;
          throw new LeaseLost(r.coordinator());
        }
        return r.inFlight() ? change.apply(r) : r;
      });
    }
  }

  /** Moves the record to {@code step}, clearing the error (the step before it succeeded). */
  protected MigrationRecord advance(UnaryOperator<MigrationRecord> change, String step) {
    long now = ctx.store().now();
    pendingError = null;
    MigrationRecord r = write(cur -> change.apply(cur).atStep(step, now)
        .withAttributes(now, a -> {
          a.remove("error");
          a.remove(MigrationRecord.WAITING_FOR);
          a.put("heartbeatMs", Long.toString(now));
        }));
    ctx.metrics().migrationStep(r.kind(), step);
    LOG.info("migration {} ({} {}): now {}", id, r.kind(), r.group(), r.phase());
    return r;
  }

  /**
   * Says in the record what the step waits for (null: nothing any more); written when it changes, and logged, so an
   * operator sees why a migration does not move.
   */
  protected void waitingFor(String what) {
    if (java.util.Objects.equals(what, waiting)) {
      return;
    }
    waiting = what;
    if (what != null) {
      LOG.warn("migration {}: waiting for {}", id, what);
    }
    long now = ctx.store().now();
    write(r -> r.withAttributes(now, a -> a.put(MigrationRecord.WAITING_FOR, what)));
  }

  /** Ends the migration as failed, saying why. */
  protected void endFailed(String message) {
    long now = ctx.store().now();
    MigrationRecord r = write(cur -> cur.atStep(io.kvpipe.common.topology.Migration.FAILED, now)
        .withAttributes(now, a -> a.put("error", message)));
    LOG.warn("migration {} ({} {}): failed: {}", id, r.kind(), r.group(), message);
  }

  /** Records a failed attempt of a step and waits before the next one. */
  protected void failedAttempt(String step, RuntimeException e, int failures) {
    String message = step + ": " + (e instanceof KvException kv ? kv.code() + " " + kv.getMessage() : e.toString());
    noteError(message);
    if (!(e instanceof KvException)) {
      LOG.error("migration {}: {} failed", id, step, e);
    }
    try {
      long now = ctx.store().now();
      write(r -> r.withAttributes(now, a -> a.put("error", message)));
    } catch (LeaseLost lost) {
      throw lost;
    } catch (RuntimeException ignored) {
      // The meta group may be the thing failing; the heartbeat will try again.
    }
    retrying.pause(failures);
  }

  private void heartbeats() {
    long interval = ctx.settings().heartbeatInterval().toNanos();
    while (!stopped) {
      try {
        TimeUnit.NANOSECONDS.sleep(interval);
      } catch (InterruptedException e) {
        return;
      }
      try {
        long now = ctx.store().now();
        String error = pendingError;
        MigrationRecord r = write(cur -> withProgress(cur, now).withAttributes(now, a -> {
          a.put("heartbeatMs", Long.toString(now));
          if (error != null) {
            a.put("error", error);
          }
        }));
        if (!r.inFlight()) {
          return;
        }
        observe(r);
        logProgress(r);
      } catch (LeaseLost e) {
        LOG.warn("migration {}: lease lost ({}); stopping", id, e.getMessage());
        return;
      } catch (RuntimeException e) {
        // The meta group may be electing; the lease has a few heartbeats of slack.
        LOG.debug("migration {}: heartbeat failed: {}", id, e.toString());
      }
    }
  }

  private void logProgress(MigrationRecord r) {
    long now = System.nanoTime();
    if (now - lastLogNanos >= ctx.settings().logInterval().toNanos()) {
      lastLogNanos = now;
      LOG.info("migration {}: {}", id, progressLine(r));
    }
  }
}
