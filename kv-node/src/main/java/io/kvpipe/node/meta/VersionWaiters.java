package io.kvpipe.node.meta;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.topology.MetaQuery;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Readers waiting for the topology to move past a version they hold ({@link MetaQuery.ChangedAfter}): the meta
 * group's apply completes them the moment a command changes the version, so a proxy learns of a change as it is
 * applied instead of at its next poll. A waiter nothing wakes is answered with the current version when its wait ends.
 *
 * <p>Threads: {@link #changed} runs on the state machine's updater thread, {@link #await} on query threads, the wait
 * timeouts on one daemon timer thread; all under this object's lock. Bounded: past {@link #MAX_WAITERS} a new waiter
 * is refused (retriable), so a flood of readers cannot make the meta leader hold unbounded state.
 */
final class VersionWaiters implements AutoCloseable {
  static final int MAX_WAITERS = 10_000;

  private record Waiter(long after, CompletableFuture<MetaQuery.VersionInfo> reply) {}

  private final List<Waiter> waiting = new ArrayList<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "meta-version-waiters");
    t.setDaemon(true);
    return t;
  });

  /** Completes at once if {@code current} is already past {@code after}, else at the next change or after the wait. */
  CompletableFuture<MetaQuery.VersionInfo> await(long after, long waitMillis, Supplier<MetaQuery.VersionInfo> current) {
    MetaQuery.VersionInfo now = current.get();
    if (now.version() > after || waitMillis <= 0) {
      return CompletableFuture.completedFuture(now);
    }
    Waiter w = new Waiter(after, new CompletableFuture<>());
    synchronized (this) {
      if (waiting.size() >= MAX_WAITERS) {
        return CompletableFuture.failedFuture(new KvException(ErrorCode.UNAVAILABLE,
            "too many readers waiting for a topology change (" + MAX_WAITERS + "); poll instead"));
      }
      waiting.add(w);
    }
    // Read again once registered: a change applied between the first read and the registration woke nobody.
    MetaQuery.VersionInfo again = current.get();
    if (again.version() > after) {
      finish(w, again);
    } else {
      timer.schedule(() -> finish(w, current.get()), waitMillis, TimeUnit.MILLISECONDS);
    }
    return w.reply();
  }

  /** The applied topology is now at {@code info}: every waiter behind it is answered. */
  void changed(MetaQuery.VersionInfo info) {
    List<Waiter> done = new ArrayList<>();
    synchronized (this) {
      for (Iterator<Waiter> it = waiting.iterator(); it.hasNext(); ) {
        Waiter w = it.next();
        if (info.version() > w.after()) {
          it.remove();
          done.add(w);
        }
      }
    }
    // Completed outside the lock: completing sends the reply, which must not run while readers are locked out.
    done.forEach(w -> w.reply().complete(info));
  }

  synchronized int size() {
    return waiting.size();
  }

  private void finish(Waiter w, MetaQuery.VersionInfo info) {
    synchronized (this) {
      waiting.remove(w);
    }
    w.reply().complete(info);
  }

  @Override
  public void close() {
    timer.shutdownNow();
    List<Waiter> left;
    synchronized (this) {
      left = List.copyOf(waiting);
      waiting.clear();
    }
    left.forEach(w -> w.reply().completeExceptionally(new KvException(ErrorCode.UNAVAILABLE, "meta replica closing")));
  }
}
