package io.kvpipe.node.shard;

import io.kvpipe.client.RetryWindow;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The client calls this group applied within the last {@link #WINDOW_MS} of leader time, so that a resend of one of
 * them is never applied a second time. Part of the replicated state: it is kept in snapshots and changed only at
 * apply, from the log alone (each entry's client id, call id, index and stamp), so every replica answers a resend the
 * same way.
 *
 * <p>Why Ratis's retry cache is not enough: it lives in memory and is filled as entries are applied, so a replica that
 * restarted from a snapshot (or installed one) knows nothing of the calls the snapshot covers. A client resending
 * such a call after a lost reply (same client id, same call id) to that replica, once it leads, had the call
 * appended and applied again: a put with two versions and two change events, a compare-and-set judged twice
 * (found by review; {@code ResendAfterRestartIT}).
 *
 * <p>Thread ownership: the apply thread changes it; {@link #appliedAt} may be called from any thread (the leader asks
 * before it logs a request); {@link #all()} is a copy for a snapshot written elsewhere.
 */
final class AppliedCalls {
  /** How long a call is remembered, in leader stamp time: as long as the replicas' Ratis retry cache. */
  static final long WINDOW_MS = RetryWindow.SERVER_RETRY_CACHE.toMillis();

  /** A call's identity: the Ratis client id (as two longs) and the call id that client gave it. */
  record CallId(long clientHigh, long clientLow, long callId) {}

  /**
   * One applied call, the log index it was applied at and the stamp high-water mark then (never decreasing, so the
   * queue stays in expiry order).
   */
  record Applied(CallId id, long index, long stampMs) {}

  private final Map<CallId, Applied> byId = new ConcurrentHashMap<>();
  private final ArrayDeque<Applied> byAge = new ArrayDeque<>();

  /** The index {@code id} was first applied at, or -1 if it was not (within the window). */
  long appliedAt(CallId id) {
    Applied a = byId.get(id);
    return a == null ? -1 : a.index();
  }

  /** Remembers {@code id} as applied at {@code index}; forgets the calls older than the window at {@code stampMs}. */
  void applied(CallId id, long index, long stampMs) {
    while (!byAge.isEmpty() && byAge.peekFirst().stampMs() < stampMs - WINDOW_MS) {
      byId.remove(byAge.pollFirst().id());
    }
    add(new Applied(id, index, stampMs));
  }

  private void add(Applied a) {
    if (byId.putIfAbsent(a.id(), a) == null) {
      byAge.addLast(a);
    }
  }

  int size() {
    return byAge.size();
  }

  /** Every remembered call, oldest first. */
  List<Applied> all() {
    return List.copyOf(byAge);
  }

  /** Remembers {@code calls} (a snapshot's, oldest first) in place of anything held. */
  void restore(List<Applied> calls) {
    byId.clear();
    byAge.clear();
    calls.forEach(this::add);
  }
}
