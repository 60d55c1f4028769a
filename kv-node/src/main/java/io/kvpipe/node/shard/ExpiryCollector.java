package io.kvpipe.node.shard;

import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Reply;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's side of TTL (docs/ttl.md): while this replica leads, it reads the keys due from the expiry index (by
 * its own clock, the one that stamps the entry) and proposes them as one {@link Command.Expire}, at most
 * {@link ExpirySettings#batchKeys()} per entry and one entry in flight; when a batch came back full it goes on at
 * once, otherwise it looks again after {@link ExpirySettings#pollInterval()}. Whatever it proposes is checked again
 * at apply, so a stale or repeated proposal (a leader change, a key re-put meanwhile) deletes nothing it should not.
 */
final class ExpiryCollector implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ExpiryCollector.class);

  private final String group;
  private final Supplier<ShardState> state;
  private final Function<Command.Expire, CompletableFuture<Reply>> propose;
  private final ExpirySettings settings;
  private final ScheduledExecutorService timer;
  private final LongAdder expired = new LongAdder();
  private volatile boolean leading;
  /** Bumped on every leadership change, so a round started under an earlier one does not reschedule itself. */
  private volatile long generation;

  ExpiryCollector(String group, Supplier<ShardState> state, Function<Command.Expire, CompletableFuture<Reply>> propose,
                  ExpirySettings settings) {
    this.group = group;
    this.state = state;
    this.propose = propose;
    this.settings = settings;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "expiry-" + group);
      t.setDaemon(true);
      return t;
    });
  }

  /** Keys this replica expired while leading (the apply's count, not the proposals'). */
  long expired() {
    return expired.sum();
  }

  void leadershipChanged(boolean now) {
    leading = now;
    long gen = ++generation;
    if (now) {
      schedule(gen, 0);
    }
  }

  private void schedule(long gen, long delayMs) {
    try {
      timer.schedule(() -> round(gen), delayMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // Closed: the replica is going away.
    }
  }

  private void round(long gen) {
    if (!leading || gen != generation) {
      return;
    }
    List<Command.Due> due;
    try {
      due = state.get().dueForExpiry(System.currentTimeMillis(), settings.batchKeys());
    } catch (RuntimeException e) {
      LOG.warn("group={} reading the keys due for expiry failed", group, e);
      schedule(gen, settings.pollInterval().toMillis());
      return;
    }
    if (due.isEmpty()) {
      schedule(gen, settings.pollInterval().toMillis());
      return;
    }
    propose.apply(new Command.Expire(due)).whenComplete((reply, err) -> {
      boolean again = false;
      if (err != null) {
        LOG.debug("group={} expiry of {} keys not committed: {}", group, due.size(), err.toString());
      } else if (reply instanceof Reply.Purged p) {
        expired.add(p.removed());
        again = due.size() == settings.batchKeys() && !p.more();
      } else if (reply instanceof Reply.Failure f) {
        LOG.debug("group={} expiry refused: {} {}", group, f.code(), f.message());
      }
      schedule(gen, again ? 0 : settings.pollInterval().toMillis());
    });
  }

  @Override
  public void close() {
    leading = false;
    timer.shutdownNow();
  }
}
