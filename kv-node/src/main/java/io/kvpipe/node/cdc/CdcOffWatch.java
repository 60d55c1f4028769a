package io.kvpipe.node.cdc;

import io.kvpipe.node.shard.OutboxView;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On a node without CDC (no {@code --kafka-bootstrap}): reports loudly when it leads a shard group whose changes have
 * been published before (the replicated outbox has a confirmed index or holds events), since every write it commits
 * then makes no change event and never reaches the archive. Gauge {@code kvpipe.cdc.off.leader{group}} (1 while so)
 * and one ERROR per leadership term.
 *
 * <p>It does not refuse the writes: the only trace of the cluster's intent is that outbox history, which cannot tell a
 * node started without Kafka by mistake from a cluster whose CDC was turned off on purpose; refusing would make such a
 * cluster unwritable for good. A cluster-wide CDC setting (in the meta group) would allow refusing; see
 * docs/operations.md.
 */
public final class CdcOffWatch {
  private static final Logger log = LoggerFactory.getLogger(CdcOffWatch.class);
  /** A replica that just became leader may still be applying the entries that carry the history. */
  private static final Duration SETTLE = Duration.ofSeconds(10);
  private static final long CHECK_NANOS = Duration.ofMillis(200).toNanos();

  private final OutboxView view;
  /** Leadership terms seen, so a watcher of an earlier term stops. */
  private final AtomicInteger term = new AtomicInteger();

  private CdcOffWatch(OutboxView view) {
    this.view = view;
  }

  /** Starts watching the group's leadership on this CDC-less node. */
  public static void attach(OutboxView view, MeterRegistry registry) {
    CdcOffWatch w = new CdcOffWatch(view);
    Gauge.builder("kvpipe.cdc.off.leader", w, x -> x.leadsPublishedGroup() ? 1 : 0).tag("group", view.group())
        .description("1 while this node, without --kafka-bootstrap, leads a group whose changes are published:"
            + " its writes reach no archive").register(registry);
    view.addLeadershipListener(w::onLeadershipChanged);
  }

  private boolean leadsPublishedGroup() {
    return view.isLeader() && (view.confirmedIndex() > 0 || view.size() > 0);
  }

  /** Ratis thread: must return at once, so the check (which may have to wait for apply) runs on its own thread. */
  private void onLeadershipChanged(boolean leader) {
    int mine = term.incrementAndGet();
    if (!leader) {
      return;
    }
    Thread.ofVirtual().name("cdc-off-watch-" + view.group()).start(() -> {
      long deadline = System.nanoTime() + SETTLE.toNanos();
      while (term.get() == mine && view.isLeader() && System.nanoTime() < deadline) {
        if (leadsPublishedGroup()) {
          log.error("this node leads group {} without --kafka-bootstrap, but the group's changes are published"
              + " (confirmed up to log index {}, {} events waiting): the writes it commits make NO change events and"
              + " will be missing from the archive. Restart it with --kafka-bootstrap, or move the leadership away",
              view.group(), view.confirmedIndex(), view.size());
          return;
        }
        LockSupport.parkNanos(CHECK_NANOS); // polling replicated state while it is applied; bounded by SETTLE
      }
    });
  }
}
