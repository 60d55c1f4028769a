package io.kvpipe.client;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the current {@link RaftClient} and replaces it after a failure that breaks it. Why: Ratis's ordered async
 * pipeline closes for good once one request fails terminally (retries exhausted, group mismatch) — every later request
 * on that client would fail with "is closed". The broken client is closed after a grace period so reads still in
 * flight on it can finish. Thread-safe.
 */
public final class RaftClientSlot implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RaftClientSlot.class);
  private static final long CLOSE_GRACE_SECONDS = 30;

  private final Supplier<RaftClient> factory;
  private final AtomicReference<RaftClient> current;

  public RaftClientSlot(Supplier<RaftClient> factory) {
    this.factory = factory;
    this.current = new AtomicReference<>(factory.get());
  }

  public RaftClient get() {
    return current.get();
  }

  /** Replaces {@code used} after {@code error}, unless the error is a normal reply or another caller already did. */
  public void onFailure(RaftClient used, Throwable error) {
    if (!breaksClient(error)) {
      return;
    }
    RaftClient fresh = factory.get();
    if (current.compareAndSet(used, fresh)) {
      CompletableFuture.runAsync(() -> close(used),
          CompletableFuture.delayedExecutor(CLOSE_GRACE_SECONDS, TimeUnit.SECONDS));
    } else {
      close(fresh);
    }
  }

  private static boolean breaksClient(Throwable error) {
    Throwable e = error;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    // A state machine refusal is an ordinary reply; anything else failed the pipeline.
    return !(e instanceof StateMachineException);
  }

  private static void close(RaftClient c) {
    try {
      c.close();
    } catch (IOException e) {
      LOG.warn("closing a replaced Raft client failed", e);
    }
  }

  @Override
  public void close() {
    close(current.get());
  }
}
