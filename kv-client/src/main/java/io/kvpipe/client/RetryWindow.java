package io.kvpipe.client;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.retry.RequestTypeDependentRetryPolicy;
import org.apache.ratis.proto.RaftProtos.RaftClientRequestProto.TypeCase;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.util.TimeDuration;

/**
 * How long a client may resend one Ratis request, and how long replicas remember requests to deduplicate the resends.
 *
 * <p>Ratis resends a request with the same call id after a lost reply or a leader change, and a replica's retry cache
 * answers such a resend with the first attempt's reply, but only for {@link #SERVER_RETRY_CACHE}. A resend that
 * arrives later is a new request: a write would be applied a second time, after whatever came in between (a reader sees
 * A, B, A; the changelog gets an event no request made: robustness finding 5). So every client bounds its resends by
 * wall time ({@link #policy}), never by a count of attempts whose length depends on how each attempt failed, and no
 * client window may come near the servers' memory ({@link #check}).
 */
public final class RetryWindow {
  /** How long a replica's Ratis retry cache keeps a request (Ratis's own default is 60 s). */
  public static final Duration SERVER_RETRY_CACHE = Duration.ofSeconds(120);
  /** The longest a client may keep resending one request: its operation timeout plus one last attempt. */
  public static final Duration MAX_CLIENT_WINDOW = SERVER_RETRY_CACHE.dividedBy(2);

  private RetryWindow() {}

  /**
   * Resends every {@code sleep} while the request is younger than {@code window}; then the request fails. An attempt
   * sent just before the window closes may reach a replica up to one RPC timeout later: {@link #check} counts it.
   */
  public static RetryPolicy policy(Duration window, Duration sleep) {
    return policy(window, sleep, 0, sleep);
  }

  /**
   * As {@link #policy(Duration, Duration)}, but the first {@code quickAttempts} resends of a request come after only
   * {@code quickSleep}: a leader change is over within a few hundred milliseconds, and a resend that waits a whole
   * {@code sleep} after the new leader is ready only adds to the caller's wait.
   */
  public static RetryPolicy policy(Duration window, Duration quickSleep, int quickAttempts, Duration sleep) {
    TimeDuration limit = TimeDuration.valueOf(window.toMillis(), TimeUnit.MILLISECONDS);
    TimeDuration quick = TimeDuration.valueOf(quickSleep.toMillis(), TimeUnit.MILLISECONDS);
    TimeDuration slow = TimeDuration.valueOf(sleep.toMillis(), TimeUnit.MILLISECONDS);
    RetryPolicy.Action quickly = () -> quick;
    RetryPolicy.Action slowly = () -> slow;
    RetryPolicy resend = new RetryPolicy() {
      @Override
      public Action handleAttemptFailure(Event event) {
        return event.getAttemptCount() <= quickAttempts ? quickly : slowly;
      }

      @Override
      public String toString() {
        return "resend after " + quick + " (" + quickAttempts + " times), then every " + slow;
      }
    };
    RequestTypeDependentRetryPolicy.Builder b = RequestTypeDependentRetryPolicy.newBuilder();
    for (TypeCase type : TypeCase.values()) {
      b.setRetryPolicy(type, resend).setTimeout(type, limit);
    }
    return b.build();
  }

  /** Refuses a client whose resends could outlive the replicas' memory of them. */
  public static void check(Duration operationTimeout, Duration rpcTimeout) {
    if (operationTimeout.isNegative() || operationTimeout.isZero() || rpcTimeout.isNegative() || rpcTimeout.isZero()) {
      throw new IllegalArgumentException("timeouts must be positive: operation " + operationTimeout + ", rpc "
          + rpcTimeout);
    }
    if (operationTimeout.plus(rpcTimeout).compareTo(MAX_CLIENT_WINDOW) > 0) {
      throw new IllegalArgumentException("operation timeout " + operationTimeout.toMillis() + " ms + rpc timeout "
          + rpcTimeout.toMillis() + " ms exceeds " + MAX_CLIENT_WINDOW.toMillis() + " ms: a resend that late could"
          + " outlive the replicas' retry cache (" + SERVER_RETRY_CACHE.toSeconds() + " s) and apply a write twice");
    }
  }
}
