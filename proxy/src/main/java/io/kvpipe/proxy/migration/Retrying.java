package io.kvpipe.proxy.migration;

import io.kvpipe.client.RaftErrors;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Waits for an idempotent shard operation, repeating it after retriable failures (no leader, CDC backlog, timeouts, a
 * group not reachable yet) with a growing pause, until it succeeds, fails for good, or the run is told to stop.
 * Every retried failure is reported, so the record shows why a migration is slow.
 */
final class Retrying {
  /** The run was stopped (lease lost, cancel, shutdown) while waiting. */
  static final class Stopped extends RuntimeException {
    Stopped() {
      super("stopped", null, false, false);
    }
  }

  private final BooleanSupplier stop;
  private final Consumer<String> report;
  private final Duration maxBackoff;

  Retrying(BooleanSupplier stop, Consumer<String> report, Duration maxBackoff) {
    this.stop = stop;
    this.report = report;
    this.maxBackoff = maxBackoff;
  }

  <T> T await(String what, Supplier<CompletableFuture<T>> op) {
    return await(what, null, op);
  }

  /** Like {@link #await(String, Supplier)} but the first attempt is already under way ({@code first}). */
  <T> T await(String what, CompletableFuture<T> first, Supplier<CompletableFuture<T>> op) {
    CompletableFuture<T> attempt = first;
    for (int failures = 0; ; failures++) {
      if (stop.getAsBoolean()) {
        throw new Stopped();
      }
      try {
        return (attempt != null ? attempt : op.get()).join();
      } catch (CompletionException | KvException e) {
        KvException kv = asKv(e);
        if (!kv.retriable()) {
          throw new KvException(kv.code(), what + ": " + kv.getMessage(), kv);
        }
        report.accept(what + ": " + kv.code() + " " + kv.getMessage());
        pause(failures);
      }
      attempt = null;
    }
  }

  void pause(int failures) {
    long ms = Math.min(maxBackoff.toMillis(), 100L << Math.min(failures, 10));
    try {
      TimeUnit.MILLISECONDS.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Stopped();
    }
  }

  static KvException asKv(Throwable e) {
    Throwable t = RaftErrors.unwrap(e);
    if (t instanceof KvException kv) {
      return kv;
    }
    if (t instanceof Stopped s) {
      throw s;
    }
    return new KvException(ErrorCode.INTERNAL, String.valueOf(t), t);
  }
}
