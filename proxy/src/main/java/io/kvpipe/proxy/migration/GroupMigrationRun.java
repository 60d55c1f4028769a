package io.kvpipe.proxy.migration;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.error.OutcomeUnknownException;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.Migration;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.common.wire.MigrationToken;
import io.kvpipe.common.wire.Reply;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Adds a group to the ring or drains one, in the contract's steps, each idempotent so a coordinator that takes over
 * repeats at most the step it finds in the record: {@code pending} (create the group in the topology, wait until it
 * answers, estimate the keys to move), {@code fencing} (SetOwnership at the new epoch on the groups that give ranges
 * away, then on those that receive; then the meta ring), {@code copying} (every pair in parallel, see
 * {@link PairCopier}), {@code purging} (PurgeUnowned on the sources), {@code finishing} (CollectTombstones on the
 * targets; a drained group leaves the topology), then done. A cancel before purging swaps in the inverse plan (ring
 * back, at a higher epoch) and runs the same steps under the public phase {@code cancelling}, ending cancelled; a
 * cancelled add removes the group it created. A cancel while pending (nothing fenced) goes straight to finishing.
 */
final class GroupMigrationRun extends MigrationRun {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GroupMigrationRun.class);
  /** Tombstones one CollectTombstones entry removes (few: tombstones are rare). */
  static final int PURGE_LIMIT = 5000;
  /**
   * Records one PurgeUnowned entry removes: a range delete by ring position (everything the group no longer owns, in
   * store order), applied identically on every replica. Measured (bench-migration, 200k keys, 3 replicas, box at load
   * ~40 on 2 cores): removal costs ~55 us per record at apply there, so 36k records in one entry held a source's
   * apply thread (and its client writes) for ~2 s. The total apply cost is the same whatever the entry size; only
   * the number of Raft rounds changes, and those overlap when several entries are in flight ({@link #PURGE_WINDOW}).
   * With 10,000-record entries, 3 in flight, a 1M-key run on a saturated box (load ~73) had 339 client writes time
   * out behind multi-second purge applies; so at most one entry of 5,000 holds a source's apply thread at a time.
   * Since a purge removes whole index leaves at once (PackedMap#update), an entry of 5,000 applies in ~10 ms in
   * isolation, ~100 ms on a busy box, where the per-record removals took ~55 us each.
   */
  static final int PURGE_RANGE_LIMIT = 5_000;
  /**
   * PurgeUnowned entries in flight per source: each removes the next records the group no longer owns when it is
   * applied, so entries in flight never remove the same records, and one's Raft round overlaps another's apply.
   * With one in flight the purge ran at 17-19k records/s per source (bench-migration, 1M keys), slower than the copy
   * it follows: each entry waited out its whole Raft round before the next was sent. With two: 18-24k, one run each
   * way on a noisy box, so the gain is not shown beyond that noise.
   */
  static final int PURGE_WINDOW = 2;

  private final Throttle throttle;
  private volatile int batchSize = MigrationRecord.DEFAULT_BATCH;
  private volatile boolean cancelSeen;
  private volatile CopyProgress progress;

  GroupMigrationRun(String id, Context ctx) {
    super(id, ctx);
    this.throttle = new Throttle(0, System::nanoTime);
  }

  @Override
  protected void steps() {
    int failures = 0;
    while (!stopped()) {
      MigrationRecord r = ctx.store().read(id).orElse(null);
      if (r == null || !r.inFlight()) {
        return;
      }
      if (!r.coordinator().equals(ctx.coordinatorId())) {
        throw new LeaseLost(r.coordinator());
      }
      observe(r);
      String step = r.step();
      try {
        if (r.cancelRequested() && !r.cancelled()) {
          startInverse(r);
        } else {
          switch (step) {
            case MigrationRecord.PENDING -> prepare(r);
            case MigrationRecord.FENCING -> fence(r);
            case MigrationRecord.COPYING -> copy(r);
            case MigrationRecord.PURGING -> purge(r);
            case MigrationRecord.FINISHING -> finish(r);
            default -> throw new KvException(ErrorCode.INTERNAL, "unknown step " + step);
          }
        }
        failures = 0;
      } catch (Retrying.Stopped e) {
        if (stopped()) {
          throw e;
        }
        // Stopped for a cancel request: the next turn reads the record and starts the inverse.
      } catch (LeaseLost e) {
        throw e;
      } catch (RuntimeException e) {
        failedAttempt(step, e, failures++);
      }
    }
  }

  @Override
  protected boolean shouldStop() {
    return super.shouldStop() || cancelSeen;
  }

  @Override
  protected void observe(MigrationRecord r) {
    throttle.setRate(r.throttleKeysPerSecond());
    batchSize = r.batchSize();
    // Assigned, not just set: a heartbeat that read the record before the inverse started must not stop it for good.
    cancelSeen = r.cancelRequested() && !r.cancelled() && MigrationRecord.CANCELLABLE_STEPS.contains(r.step());
  }

  // ---- pending ----

  private void prepare(MigrationRecord r) {
    Topology t = ctx.store().topology();
    if (r.kind().equals(Migration.ADD_GROUP) && t.group(r.group()).isEmpty()) {
      List<Peer> peers = Arrays.stream(r.migration().attributes().getOrDefault("peers", "").split(","))
          .filter(s -> !s.isBlank()).map(Peer::parse).toList();
      submitIdempotent(new MetaCommand.AddGroup(new ShardGroup(r.group(), peers), null, ctx.store().now()));
    }
    MigrationPlan plan = r.plan();
    for (String g : plan.groups()) {
      retrying.await("reach group " + g, () -> ctx.ops().status(g));
    }
    long estimate = estimate(plan);
    advance(cur -> cur.with(cur.phase(), 0, estimate, ctx.store().now()), MigrationRecord.FENCING);
  }

  /** Keys to move: each source's record count scaled by the share of its ranges that moves (an estimate). */
  private long estimate(MigrationPlan plan) {
    Map<String, HashRanges> before = plan.previousRing().toRing().ownership();
    double total = 0;
    for (MigrationPlan.Transfer t : plan.transfers()) {
      Reply.Status s = retrying.await("status of " + t.source(), () -> ctx.ops().status(t.source()));
      long width = before.getOrDefault(t.source(), HashRanges.EMPTY).width();
      total += width == 0 ? 0 : (double) s.records() * t.ranges().width() / width;
    }
    return Math.round(total);
  }

  // ---- fencing ----

  /**
   * Per key, the change topic must show the events in version order across the move: a target may take a moving key
   * (a client write, a copy) only once every source has published what it committed before its fence, or a source
   * publisher running late would put the key's older event after the target's newer one. So the sources are fenced,
   * then the targets wait until each source's change events up to its fence are published. Waiting once before the
   * fence too (for what the sources hold now) keeps the fenced window short: a Kafka outage holds the migration here,
   * before anything is fenced, instead of holding the moving keys unwritable.
   */
  private void fence(MigrationRecord r) {
    MigrationPlan plan = r.plan();
    awaitSourcesPublished(plan, "before fencing");
    setOwnership(plan, plan.fenceFirst());
    awaitSourcesPublished(plan, "up to its fence");
    setOwnership(plan, plan.fenceSecond());
    Topology t = ctx.store().topology();
    if (t.epoch() > plan.toEpoch()) {
      throw new KvException(ErrorCode.CONFLICT, "the topology moved to epoch " + t.epoch() + " past this migration's "
          + plan.toEpoch());
    }
    if (t.epoch() < plan.toEpoch()) {
      submitIdempotent(new MetaCommand.SetRing(plan.nextRing(), plan.toEpoch(), null, ctx.store().now()));
    }
    advance(cur -> cur, MigrationRecord.COPYING);
  }

  /** Waits until each source has published every change event up to the index it had applied when asked. */
  private void awaitSourcesPublished(MigrationPlan plan, String what) {
    for (String g : plan.sources()) {
      long upTo = retrying.await("status of " + g, () -> ctx.ops().status(g)).appliedIndex();
      for (int waits = 0; ; waits++) {
        Reply.Status s = retrying.await("status of " + g, () -> ctx.ops().status(g));
        if (s.outboxEvents() == 0 || s.confirmedIndex() >= upTo) {
          break;
        }
        waitingFor(g + ": change events " + what + " (log index " + upTo + ") not yet published to Kafka (published"
            + " up to " + s.confirmedIndex() + ", " + s.outboxEvents() + " waiting)");
        if (shouldStop()) {
          throw new Retrying.Stopped();
        }
        retrying.pause(Math.min(waits, 3));
      }
    }
    waitingFor(null);
  }

  private void setOwnership(MigrationPlan plan, List<String> groups) {
    MigrationToken token = token(plan);
    List<CompletableFuture<Reply.Ownership>> started = new ArrayList<>();
    for (String g : groups) {
      started.add(ctx.ops().setOwnership(g, token, plan.rangesAfter(g)));
    }
    for (int i = 0; i < groups.size(); i++) {
      String g = groups.get(i);
      retrying.await("fence " + g + " at epoch " + plan.toEpoch(), started.get(i),
          () -> ctx.ops().setOwnership(g, token, plan.rangesAfter(g)));
    }
  }

  /** What the groups know this plan's commands by: a cancel's inverse fences one epoch further under the same id. */
  private MigrationToken token(MigrationPlan plan) {
    return new MigrationToken(id, plan.toEpoch());
  }

  // ---- copying ----

  private void copy(MigrationRecord r) {
    MigrationPlan plan = r.plan();
    CopyProgress p = progress;
    if (p == null || p.toEpoch() != plan.toEpoch()) {
      p = CopyProgress.from(r);
      progress = p;
    }
    CopyProgress current = p;
    try (ExecutorService pairs = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> running = new ArrayList<>();
      for (MigrationPlan.Transfer t : plan.transfers()) {
        PairCopier copier = new PairCopier(ctx.ops(), t, token(plan), current, throttle, () -> batchSize, retrying,
            n -> ctx.metrics().migrationKeysCopied(n));
        running.add(pairs.submit(() -> {
          copier.run();
          return null;
        }));
      }
      for (Future<?> f : running) {
        await(f);
      }
    }
    long copied = current.total();
    advance(cur -> {
      if (cur.cancelRequested() && !cur.cancelled()) {
        throw new Retrying.Stopped(); // the loop starts the inverse instead of purging
      }
      return cur.withAttributes(ctx.store().now(), a -> {
        current.writeTo(a);
        a.put("keysTotalEstimate", "false");
        a.put("keysPerSecond", "0");
      }).with(cur.phase(), copied, copied, ctx.store().now());
    }, MigrationRecord.PURGING);
  }

  private static void await(Future<?> f) {
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Retrying.Stopped();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new KvException(ErrorCode.INTERNAL, "copy failed: " + e.getCause(), e.getCause());
    }
  }

  @Override
  protected MigrationRecord withProgress(MigrationRecord r, long nowMs) {
    CopyProgress p = progress;
    if (p == null || !r.step().equals(MigrationRecord.COPYING) || r.migration().toEpoch() != p.toEpoch()) {
      return r;
    }
    double rate = p.rate(System.nanoTime());
    return r.withAttributes(nowMs, a -> {
      p.writeTo(a);
      a.put("keysPerSecond", String.format(Locale.ROOT, "%.1f", rate));
    }).with(r.phase(), p.total(), Math.max(r.migration().keysTotal(), p.total()), nowMs);
  }

  // ---- purging, finishing ----

  private void purge(MigrationRecord r) {
    MigrationPlan plan = r.plan();
    drain(plan.sources(), g -> ctx.ops().purgeUnowned(g, PURGE_RANGE_LIMIT, token(plan)), "purge ", PURGE_WINDOW);
    advance(cur -> cur, MigrationRecord.FINISHING);
  }

  private void finish(MigrationRecord r) {
    MigrationPlan plan = r.plan();
    if (!r.cancelledBeforeFencing()) {
      drain(plan.targets(), g -> ctx.ops().collectTombstones(g, plan.receivedBy(g), PURGE_LIMIT, token(plan)),
          "collect tombstones ", 1);
    }
    // A drain removes the group it emptied; a cancelled add removes the group it created (its keys went back).
    boolean leaves = r.kind().equals(Migration.REMOVE_GROUP) != r.cancelled();
    if (leaves && !ctx.store().topology().ringMembers().contains(r.group())
        && ctx.store().topology().group(r.group()).isPresent()) {
      if (r.cancelledBeforeFencing()) {
        // Never fenced into the ring, so never written through it; and its replicas may be the very reason for the
        // cancel (unreachable). The nodes still keep a replica holding events (they check on their own).
        submitIdempotent(new MetaCommand.RemoveGroup(r.group(), null, ctx.store().now()));
      } else {
        removeGroup(r.group());
      }
    }
    advance(cur -> cur, r.cancelled() ? Migration.CANCELLED : Migration.DONE);
  }

  /**
   * Removes a group from the topology once every change event it committed is confirmed published: its replicas are
   * dropped after that, and an event still in their outbox would never reach Kafka. The index it was published up to
   * goes into the record first, so a node that missed the last confirmations (down meanwhile) can tell that what its
   * replica still holds was published by the others ({@code publishedUpTo.<raft name>}).
   */
  private void removeGroup(String group) {
    long published = awaitPublished(group);
    String raftName = ctx.store().topology().group(group).map(ShardGroup::raftName).orElse(group);
    long now = ctx.store().now();
    write(cur -> cur.withAttributes(now, a -> a.put(Migration.PUBLISHED_UP_TO + raftName,
        Long.toString(published))));
    submitIdempotent(new MetaCommand.RemoveGroup(group, null, ctx.store().now()));
  }

  /**
   * Waits until {@code group}'s outbox is empty (a Kafka outage or a stuck publisher holds it up for as long as it
   * lasts), saying in the record what it waits for; returns the group's confirmed index then.
   */
  private long awaitPublished(String group) {
    for (int waits = 0; ; waits++) {
      Reply.Status s = retrying.await("status of " + group, () -> ctx.ops().status(group));
      if (s.outboxEvents() == 0) {
        waitingFor(null);
        return s.confirmedIndex();
      }
      waitingFor(group + ": " + s.outboxEvents() + " change events not yet published to Kafka (published up to log"
          + " index " + s.confirmedIndex() + ")");
      if (shouldStop()) {
        throw new Retrying.Stopped();
      }
      retrying.pause(Math.min(waits, 3));
    }
  }

  /**
   * Repeats a bounded removal on each group (in parallel) until it reports nothing more, with up to {@code window}
   * removals in flight per group. Each removal takes whatever matches when it is applied, so removals in flight
   * never overlap; once one reports nothing more, those applied after it remove nothing.
   */
  private void drain(List<String> groups, java.util.function.Function<String, CompletableFuture<Reply.Purged>> op,
                     String what, int window) {
    try (ExecutorService each = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> running = new ArrayList<>();
      for (String g : groups) {
        running.add(each.submit(() -> {
          long started = System.nanoTime();
          long removed = 0;
          java.util.ArrayDeque<CompletableFuture<Reply.Purged>> inFlight = new java.util.ArrayDeque<>();
          boolean more = true;
          while (more || !inFlight.isEmpty()) {
            while (more && inFlight.size() < window) {
              inFlight.addLast(op.apply(g));
            }
            Reply.Purged r = retrying.await(what + g, inFlight.removeFirst(), () -> op.apply(g));
            removed += r.removed();
            more &= r.more();
            if (shouldStop()) {
              throw new Retrying.Stopped();
            }
          }
          double s = (System.nanoTime() - started) / 1e9;
          LOG.info("migration {}: {}{}: {} records in {} s ({} records/s)", id, what, g, removed,
              String.format(Locale.ROOT, "%.2f", s), String.format(Locale.ROOT, "%.0f", removed / Math.max(s, 1e-9)));
          return null;
        }));
      }
      for (Future<?> f : running) {
        await(f);
      }
    }
  }

  // ---- cancel ----

  /** Replaces the plan by its inverse; the steps run again from fencing under the phase {@code cancelling}. */
  private void startInverse(MigrationRecord r) {
    String step = r.step();
    if (step.equals(MigrationRecord.PENDING)) {
      // Nothing was fenced, so nothing moves back; finishing still removes a group the add may have created.
      advance(cur -> cur.withAttributes(ctx.store().now(), a -> {
        a.put("cancelled", "true");
        a.put(MigrationRecord.CANCELLED_BEFORE_FENCING, "true");
      }), MigrationRecord.FINISHING);
      return;
    }
    MigrationPlan inverse = r.plan().inverse();
    long copiedSoFar = r.migration().keysCopied();
    advance(cur -> {
      if (!cur.cancelRequested() || cur.cancelled()) {
        return cur;
      }
      long now = ctx.store().now();
      return cur.withPlan(inverse, copiedSoFar, now).withAttributes(now, a -> {
        a.put("cancelled", "true");
        a.put("keysTotalEstimate", "true");
      });
    }, MigrationRecord.FENCING);
    progress = null;
  }

  private void submitIdempotent(MetaCommand c) {
    try {
      ctx.store().meta().submit(c);
    } catch (KvException e) {
      // Already applied by this or an earlier coordinator (AddGroup of a present group, SetRing at the same epoch), or
      // maybe applied: an unknown outcome (the meta group's answer to a resend of a command it applied before its
      // replicas restarted, or no answer in time). The topology says which.
      if (e.code() != ErrorCode.CONFLICT && !(e instanceof OutcomeUnknownException)) {
        throw e;
      }
      Topology t = ctx.store().topology();
      boolean done = switch (c) {
        case MetaCommand.AddGroup a -> t.group(a.group().id()).isPresent();
        case MetaCommand.SetRing s -> t.epoch() == s.epoch() && t.ring().equals(s.ring());
        case MetaCommand.RemoveGroup g -> t.group(g.groupId()).isEmpty();
        default -> false;
      };
      if (!done) {
        throw e;
      }
    }
  }

  @Override
  protected String progressLine(MigrationRecord r) {
    Migration m = r.migration();
    return String.format(Locale.ROOT, "%s %s %s: %d/%d keys, %.0f keys/s, throttle %d keys/s, batch %d", m.kind(),
        r.group(), m.phase(), m.keysCopied(), m.keysTotal(), r.keysPerSecond(), r.throttleKeysPerSecond(),
        r.batchSize());
  }
}
