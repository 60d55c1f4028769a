package io.kvpipe.client;

import java.util.function.Supplier;

/**
 * A deadline the caller enforces itself, handed to the group-client calls it starts (as gRPC's {@code Context} carries
 * a deadline): the proxy holds one deadline, with one timer, per client request, across its retries and every group
 * it asks. A {@link ShardGroupClient} call started inside {@link #within} takes its deadline from here and arms no
 * timer of its own; group commit drops an operation still queued at that deadline instead of sending it. A call
 * started outside it (kvctl, benchmarks, the migration coordinator) keeps the client's own operation timeout.
 *
 * <p>Bound to the calling thread for the synchronous start of the call only: whatever a call does later, on reply
 * threads, no longer sees it (such follow-up calls fall back to the client's own timeout, unless their starter enters
 * a scope again, as the proxy does for a write that follows a moving key's copy). Another call's reply that
 * completes inline during the start (a refusal without a network round) runs its dependents in the scope too; a call
 * they start takes this deadline, and is still bounded by its own request's timer.
 */
public final class CallerDeadline {
  /** Mutable and per thread, so entering a scope allocates nothing on the request path. */
  private static final class Scope {
    boolean set;
    long deadlineNanos;
  }

  private static final ThreadLocal<Scope> SCOPE = ThreadLocal.withInitial(Scope::new);

  private CallerDeadline() {}

  /**
   * Runs {@code call} with {@code deadlineNanos} (a {@link System#nanoTime()} instant) as the deadline of the group
   * calls it starts; nested scopes keep the earlier deadline.
   */
  public static <T> T within(long deadlineNanos, Supplier<T> call) {
    Scope s = SCOPE.get();
    boolean outerSet = s.set;
    long outer = s.deadlineNanos;
    s.deadlineNanos = outerSet && outer - deadlineNanos < 0 ? outer : deadlineNanos;
    s.set = true;
    try {
      return call.get();
    } finally {
      s.set = outerSet;
      s.deadlineNanos = outer;
    }
  }

  /** Whether the caller holds the deadline of calls started now on this thread. */
  static boolean isSet() {
    return SCOPE.get().set;
  }

  /** The caller's deadline if {@link #isSet}, else {@code nowNanos + ownTimeoutNanos}. */
  static long deadlineOr(long nowNanos, long ownTimeoutNanos) {
    Scope s = SCOPE.get();
    return s.set ? s.deadlineNanos : nowNanos + ownTimeoutNanos;
  }
}
