package io.kvpipe.node.cdc;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.node.shard.OutboxView;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds CDC publishing to one shard group's leadership on this node: a fresh {@link CdcPublisher} when this replica
 * becomes leader, stopped when it steps down. Leadership callbacks come on Ratis threads that must not block, so the
 * start/stop work runs on this group's own single lifecycle thread, in callback order.
 *
 * <p>Threads: the lifecycle thread owns {@code current}; {@link #wake()} reads it from any thread.
 */
public final class LeaderPublishing implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaderPublishing.class);

  private final OutboxView view;
  private final CdcConfig config;
  private final CdcMetrics metrics;
  private final KafkaAccess kafka;
  private final ExecutorService lifecycle;
  private volatile CdcPublisher current;
  private volatile boolean closed;

  private LeaderPublishing(OutboxView view, CdcConfig config, MeterRegistry registry, KafkaAccess kafka) {
    this.view = Objects.requireNonNull(view, "view");
    this.config = Objects.requireNonNull(config, "config");
    this.kafka = kafka;
    OutboxSource source = source(view);
    this.metrics = new CdcMetrics(registry, view.group(), source);
    this.lifecycle = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "cdc-lifecycle-" + view.group());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts following the group's leadership (publishing at once if this replica leads already). Each topic check tells
   * {@code topic} the topic's settings.
   */
  public static LeaderPublishing attach(OutboxView view, CdcConfig config, MeterRegistry registry,
                                        TopicStatus topic) {
    return attach(view, config, registry, KafkaAccess.of(config, view.group(), topic, registry));
  }

  static LeaderPublishing attach(OutboxView view, CdcConfig config, MeterRegistry registry, KafkaAccess kafka) {
    LeaderPublishing p = new LeaderPublishing(view, config, registry, kafka);
    view.addLeadershipListener(p::onLeadershipChanged);
    return p;
  }

  /** The view as the publisher's narrow interfaces. */
  static OutboxSource source(OutboxView view) {
    return new OutboxSource() {
      @Override
      public List<ChangeEvent> pendingAfter(long afterIndex, int max) {
        return view.pendingAfter(afterIndex, max);
      }

      @Override
      public long confirmedIndex() {
        return view.confirmedIndex();
      }

      @Override
      public long depth() {
        return view.size();
      }
    };
  }

  private void onLeadershipChanged(boolean leader) {
    if (closed) {
      return;
    }
    lifecycle.execute(() -> {
      stopCurrent();
      if (leader && !closed) {
        CdcPublisher p = new CdcPublisher(view.group(), config, source(view), view::confirmPublished,
            view::isLeader, metrics, kafka);
        current = p;
        p.start();
        log.info("group {}: leader here, publishing changes to {} from log index {}", view.group(),
            config.topic(), view.confirmedIndex());
      }
    });
  }

  private void stopCurrent() {
    CdcPublisher p = current;
    if (p != null) {
      current = null;
      p.stop();
    }
  }

  /** New events were committed (optional: the publisher also polls). Any thread. */
  public void wake() {
    CdcPublisher p = current;
    if (p != null) {
      p.wake();
    }
  }

  /** Whether a publisher is running on this node for the group (i.e. it leads, as far as this node knows). */
  public boolean isPublishing() {
    CdcPublisher p = current;
    return p != null && p.isRunning();
  }

  /** What keeps the running publisher from Kafka (see {@link CdcPublisher#kafkaProblem()}), or null. */
  public String kafkaProblem() {
    CdcPublisher p = current;
    return p == null ? "no publisher running" : p.kafkaProblem();
  }

  /** Log index up to which Kafka acknowledged the running publisher's sends, or -1 if none runs. */
  public long ackedIndex() {
    CdcPublisher p = current;
    return p == null ? -1 : p.ackedIndex();
  }

  public CdcMetrics metrics() {
    return metrics;
  }

  /** Stops publishing for good. */
  @Override
  public void close() {
    closed = true;
    lifecycle.execute(this::stopCurrent);
    lifecycle.shutdown();
    try {
      if (!lifecycle.awaitTermination(15, TimeUnit.SECONDS)) {
        log.warn("group {}: CDC lifecycle thread did not finish within 15 s", view.group());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
