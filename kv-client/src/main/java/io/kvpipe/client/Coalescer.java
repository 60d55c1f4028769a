package io.kvpipe.client;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.RejectedRequestException;
import io.kvpipe.common.wire.Request;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Group commit for one group and one kind of operation: concurrent single-key operations share one request (a
 * {@code Command.Batch} or {@code Query.Batch}), each still getting its own reply. Nothing waits while fewer than
 * {@link GroupCommit#maxInFlight()} requests are in flight; operations arriving beyond that queue and leave together
 * in the next request as soon as one completes, so batches grow with concurrency and latency does not.
 *
 * <p>A batch of several operations that completes with fewer operations queued than it carried is followed by a short
 * gathering: the next request waits until as many operations are queued as the batch carried, or at most
 * {@link GroupCommit#gatherMicros()}. Why: callers that answer over a network (the proxy's HTTP
 * clients) send their next operations a little after their replies, not while the replies are distributed, so the
 * first of them found nothing in flight and went alone, and the rest waited a whole round trip for it: two log
 * entries (and two fsyncs on every replica) per round of a closed loop instead of one. A lone operation (a batch of
 * one) is never followed by a gathering, so a single client never waits.
 *
 * <p>With {@code distinctKeys} a batch never carries two operations on one key (writes: they would share a version);
 * a later operation on a key already in the batch waits for the next one, in submission order.
 *
 * <p>A batch the leader refused before logging it for one operation's fault (malformed or oversized) is sent again one
 * operation at a time, so each gets its own verdict; only the operations still before their deadlines, as if they were
 * still queued. Any other failure of the request fails every operation in it, with the same ambiguity (e.g. TIMEOUT:
 * maybe applied) a single operation would have had.
 *
 * <p>Threads: {@link #submit} from any thread; the queue and the in-flight count are guarded by {@code this}, and
 * requests are handed to the transport under it (so they leave in order); replies are distributed outside it, on the
 * thread that completes the request, which also sends a split batch's operations again before the next batch leaves.
 */
final class Coalescer {
  /**
   * One queued operation: the request alone, its key (for distinctness) and size, its caller's deadline (a
   * {@link System#nanoTime()} instant) and future.
   */
  private record Pending(Request op, ByteBuffer key, int bytes, long deadlineNanos, CompletableFuture<Reply> result) {}

  /** How far a drain looks past operations it must leave queued (same key as one already taken). */
  private static final int SCAN_FACTOR = 4;
  /** Ends gatherings whose operations did not all come: one task per gathering, i.e. per round trip at most. */
  private static final ScheduledThreadPoolExecutor GATHER_TIMER = gatherTimer();

  private final String group;
  private final GroupCommit settings;
  private final boolean distinctKeys;
  private final Function<List<Request>, Request> batchOf;
  /** Sends one request and completes with the decoded reply, or fails with a {@link KvException}. */
  private final Function<Request, CompletableFuture<Reply>> transport;
  private final long requestTimeoutNanos;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private int inFlight;
  /** While gathering: how many queued operations end it (0: not gathering), and when it ends anyway. */
  private int gatherFor;
  private long gatherUntilNanos;
  private long gatherRound;
  private ScheduledFuture<?> gatherEnd;
  private final LongAdder requests = new LongAdder();
  private final LongAdder operations = new LongAdder();

  Coalescer(String group, GroupCommit settings, boolean distinctKeys, Function<List<Request>, Request> batchOf,
            Function<Request, CompletableFuture<Reply>> transport, Duration requestTimeout) {
    this.group = group;
    this.settings = settings;
    this.distinctKeys = distinctKeys;
    this.batchOf = batchOf;
    this.transport = transport;
    this.requestTimeoutNanos = requestTimeout.toNanos();
  }

  /**
   * Queues {@code op} (on {@code key}, {@code bytes} of payload); completes with its own reply ({@code Reply.Failure}
   * already turned into a failed future) or fails with the request's failure. Still queued at {@code deadlineNanos}
   * (a {@link System#nanoTime()} instant), or waiting to be sent again alone after its batch was split, it is never
   * sent and fails with TIMEOUT. Once it is sent, the caller owns the timer that fails it meanwhile; sent again alone,
   * it also fails with TIMEOUT at that deadline.
   */
  CompletableFuture<Reply> submit(Request op, byte[] key, int bytes, long deadlineNanos) {
    Pending p = new Pending(op, ByteBuffer.wrap(key), bytes, deadlineNanos, new CompletableFuture<>());
    Sending sending = null;
    synchronized (this) {
      queue.add(p);
      if (inFlight < settings.maxInFlight() && !gathering()) {
        sending = startNext();
      }
    }
    follow(sending);
    return p.result();
  }

  /** A request on its way and the operations it carries. */
  private record Sending(List<Pending> batch, CompletableFuture<Reply> reply) {}

  /** Requests sent and operations they carried, for the mean batch size. */
  long requestsSent() {
    return requests.sum();
  }

  long operationsSent() {
    return operations.sum();
  }

  /** The next batch from the queue (null if nothing is left to send). Caller holds the lock. */
  private List<Pending> drain() {
    List<Pending> batch = null;
    Set<ByteBuffer> keys = null;
    long bytes = 0;
    int scanned = 0;
    long now = System.nanoTime();
    Iterator<Pending> it = queue.iterator();
    while (it.hasNext()) {
      Pending p = it.next();
      if (p.result().isDone()) {
        it.remove(); // its caller gave up before it was sent: never send it
        continue;
      }
      if (now - p.deadlineNanos() >= 0) {
        it.remove(); // its deadline passed while it queued: never send it
        // Completed off this thread: its dependents must not run under this lock.
        CompletableFuture.runAsync(() -> p.result().completeExceptionally(timedOut(" before it could be sent")));
        continue;
      }
      // Only operations left queued count toward the bound, not the dead ones removed above: each of those is scanned
      // once ever, and a run of them longer than the bound (after a leader outage) would otherwise make this drain
      // return nothing with live operations behind them, and nothing in flight to drain again.
      if (++scanned > settings.maxOps() * SCAN_FACTOR) {
        break;
      }
      if (batch != null && (batch.size() >= settings.maxOps() || bytes + p.bytes() > settings.maxBytes())) {
        break;
      }
      if (distinctKeys) {
        if (keys == null) {
          keys = new HashSet<>();
        }
        if (!keys.add(p.key())) {
          continue;
        }
      }
      it.remove();
      if (batch == null) {
        batch = new ArrayList<>(Math.min(queue.size() + 1, settings.maxOps()));
      }
      batch.add(p);
      bytes += p.bytes();
    }
    return batch;
  }

  /**
   * Sends the next batch from the queue, if any. Caller holds the lock: requests leave in the order they were drained,
   * so two writes of one key in successive batches reach the (order-preserving) Ratis client in submission order.
   * The transport only enqueues (its completions run on the client's reply threads), so the lock is held briefly.
   */
  private Sending startNext() {
    List<Pending> batch = drain();
    if (batch == null) {
      return null;
    }
    inFlight++;
    requests.increment();
    operations.add(batch.size());
    CompletableFuture<Reply> reply;
    try {
      Request request = batch.size() == 1 ? batch.get(0).op() : batchOf.apply(ops(batch));
      // Bounded so a request Ratis keeps retrying cannot hold its in-flight slot past every caller's deadline.
      reply = DeadlineTimer.orTimeout(transport.apply(request), requestTimeoutNanos, TimeUnit.NANOSECONDS);
    } catch (RuntimeException e) {
      reply = CompletableFuture.failedFuture(e);
    }
    return new Sending(batch, reply);
  }

  /**
   * Whether a gathering still holds the next request back; ends it once enough operations are queued or its time is
   * up. Caller holds the lock.
   */
  private boolean gathering() {
    if (gatherFor == 0) {
      return false;
    }
    if (queue.size() < gatherFor && System.nanoTime() - gatherUntilNanos < 0) {
      return true;
    }
    stopGathering();
    return false;
  }

  /** Caller holds the lock. */
  private void startGathering(int operations, long nanos) {
    gatherFor = operations;
    gatherUntilNanos = System.nanoTime() + nanos;
    long round = ++gatherRound;
    gatherEnd = GATHER_TIMER.schedule(() -> gatheringTimedOut(round), nanos, TimeUnit.NANOSECONDS);
  }

  /** Caller holds the lock. */
  private void stopGathering() {
    gatherFor = 0;
    if (gatherEnd != null) {
      gatherEnd.cancel(false);
      gatherEnd = null;
    }
  }

  private void gatheringTimedOut(long round) {
    Sending sending = null;
    synchronized (this) {
      if (gatherFor != 0 && round == gatherRound) {
        gatherFor = 0;
        gatherEnd = null;
        if (inFlight < settings.maxInFlight()) {
          sending = startNext();
        }
      }
    }
    follow(sending);
  }

  private static ScheduledThreadPoolExecutor gatherTimer() {
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1,
        Thread.ofPlatform().daemon().name("kv-client-group-commit-gather").factory());
    t.setRemoveOnCancelPolicy(true);
    return t;
  }

  /** Distributes each request's replies when it completes, then sends what waited meanwhile. */
  private void follow(Sending sending) {
    while (sending != null) {
      Sending s = sending;
      if (!s.reply().isDone()) {
        s.reply().whenComplete((r, err) -> follow(finish(s, r, err)));
        return;
      }
      // Completed already (a quick refusal, or refused without a network call): loop rather than recurse. getNow
      // would throw for a failed future, so the failure is taken out first.
      Throwable failure = s.reply().isCompletedExceptionally() ? exceptionOf(s.reply()) : null;
      sending = finish(s, failure == null ? s.reply().getNow(null) : null, failure);
    }
  }

  private Sending finish(Sending s, Reply reply, Throwable error) {
    distribute(s.batch(), reply, error);
    synchronized (this) {
      inFlight--;
      int carried = s.batch().size();
      if (error == null && carried > 1 && inFlight == 0 && queue.size() < carried && settings.gatherMicros() > 0) {
        startGathering(carried, TimeUnit.MICROSECONDS.toNanos(settings.gatherMicros()));
        return null;
      }
      return startNext();
    }
  }

  private void distribute(List<Pending> batch, Reply reply, Throwable error) {
    if (error != null) {
      KvException kv = RaftErrors.toKvException(error, group);
      if (batch.size() > 1 && refusedForOneOfItsOps(kv)) {
        resendAlone(batch);
        return;
      }
      batch.forEach(p -> p.result().completeExceptionally(kv));
      return;
    }
    if (batch.size() == 1) {
      complete(batch.get(0), reply, null);
      return;
    }
    if (!(reply instanceof Reply.Batch b) || b.replies().size() != batch.size()) {
      KvException bad = new KvException(ErrorCode.INTERNAL,
          "group " + group + " answered a batch of " + batch.size() + " with " + reply);
      batch.forEach(p -> p.result().completeExceptionally(bad));
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      complete(batch.get(i), b.replies().get(i), null);
    }
  }

  /**
   * Nothing of a batch refused for one operation's fault happened: each operation meets the server's checks alone.
   * Sent again only before its deadline, as if it were still queued: a caller past it has been told TIMEOUT, and may
   * have read and written the key again since, so a late resend could land after that (A, B, A). Each resend is bounded
   * by that deadline, as a batch is by the request timeout: a caller that holds its deadline arms no timer on the
   * operation, so nothing else would end its future while Ratis keeps retrying. Outside the lock, on the reply thread.
   */
  private void resendAlone(List<Pending> batch) {
    long now = System.nanoTime();
    for (Pending p : batch) {
      if (p.result().isDone()) {
        continue; // its caller gave up while the batch was in flight
      }
      long left = p.deadlineNanos() - now;
      if (left <= 0) {
        p.result().completeExceptionally(timedOut(" before it could be sent again alone, after its batch was"
            + " refused for one operation's fault"));
        continue;
      }
      CompletableFuture<Reply> reply;
      try {
        reply = DeadlineTimer.orTimeout(transport.apply(p.op()), left, TimeUnit.NANOSECONDS);
      } catch (RuntimeException e) {
        reply = CompletableFuture.failedFuture(e);
      }
      reply.whenComplete((r, e) -> complete(p, r, e));
    }
  }

  /** The outcome of an operation never sent because its caller's deadline passed (the caller's timer says TIMEOUT). */
  private KvException timedOut(String when) {
    return new KvException(ErrorCode.TIMEOUT, "group " + group + ": the operation's deadline passed" + when);
  }

  private void complete(Pending p, Reply reply, Throwable error) {
    if (error != null) {
      p.result().completeExceptionally(RaftErrors.toKvException(error, group));
    } else if (reply instanceof Reply.Failure f) {
      p.result().completeExceptionally(f.toException());
    } else {
      p.result().complete(reply);
    }
  }

  /**
   * The leader refused the whole batch before logging it (so nothing of it happened) for a fault of some operation
   * in it; refusals every operation shares (no key owned, CDC backlog full) are simply every operation's answer.
   */
  private static boolean refusedForOneOfItsOps(KvException kv) {
    return kv.getCause() instanceof RejectedRequestException && switch (kv.code()) {
      case MALFORMED_REQUEST, INVALID_KEY, VALUE_TOO_LARGE -> true;
      default -> false;
    };
  }

  private static List<Request> ops(List<Pending> batch) {
    List<Request> ops = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      ops.add(p.op());
    }
    return ops;
  }

  private static Throwable exceptionOf(CompletableFuture<?> f) {
    try {
      f.join();
      return null;
    } catch (RuntimeException e) {
      return e;
    }
  }
}
