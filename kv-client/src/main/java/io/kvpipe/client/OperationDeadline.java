package io.kvpipe.client;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A group client's deadline for one operation: the caller's when it holds one ({@link CallerDeadline}), else the
 * client's operation timeout from the operation's start. The timeout is a promise to the caller: Ratis's own retries
 * (attempts × RPC timeout) could otherwise run far past it. Immutable.
 */
record OperationDeadline(String group, Duration operationTimeout) {
  /** The deadline, as a {@link System#nanoTime()} instant, of an operation started now. */
  long startingNow() {
    return CallerDeadline.deadlineOr(System.nanoTime(), operationTimeout.toNanos());
  }

  /**
   * {@code operation}, failed with TIMEOUT once the operation timeout passes (it may still complete on the server:
   * the caller learns the outcome is unknown). A caller that holds the deadline itself has its own timer: none is
   * armed here.
   */
  <T> CompletableFuture<T> bound(CompletableFuture<T> operation) {
    if (CallerDeadline.isSet()) {
      return operation;
    }
    return DeadlineTimer.orTimeout(operation, operationTimeout.toMillis(), TimeUnit.MILLISECONDS).handle((value, error) -> {
      if (error == null) {
        return value;
      }
      Throwable cause = error instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : error;
      if (cause instanceof TimeoutException) {
        throw new KvException(ErrorCode.TIMEOUT,
            "group " + group + " gave no answer within " + operationTimeout.toMillis() + " ms");
      }
      throw error instanceof CompletionException ce ? ce : new CompletionException(error);
    });
  }
}
