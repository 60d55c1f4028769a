package io.kvpipe.node.cdc;

import io.kvpipe.common.metrics.StandardMeters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The CDC meters of one shard group, tagged {@code group}. Create one per group for the node's lifetime and hand it
 * to each publisher of that group (one per leadership term), so the meters are registered once. Thread-safe.
 *
 * <ul>
 *   <li>{@code kvpipe.cdc.outbox.depth} — events committed but not confirmed (every replica)
 *   <li>{@code kvpipe.cdc.unacked.events} — events sent to Kafka, not yet acknowledged (leader)
 *   <li>{@code kvpipe.cdc.acked.index} — highest log index up to which Kafka acknowledged everything (leader)
 *   <li>{@code kvpipe.cdc.publish.lag} — leader commit time ({@code ts_ms}) to Kafka ack, per event
 *   <li>{@code kvpipe.cdc.events.published} — events acknowledged by Kafka (republished ones count again)
 *   <li>{@code kvpipe.cdc.confirms} — "published up to N" commands committed
 *   <li>{@code kvpipe.cdc.errors} — failures, tagged {@code stage} = kafka | confirm
 * </ul>
 */
public final class CdcMetrics {
  final AtomicLong unackedEvents = new AtomicLong();
  final AtomicLong ackedIndex = new AtomicLong();
  final Timer publishLag;
  final Counter published;
  final Counter confirms;
  final Counter kafkaErrors;
  final Counter confirmErrors;
  private final MeterRegistry registry;

  public CdcMetrics(MeterRegistry registry, String groupId, OutboxSource outbox) {
    this.registry = registry;
    Gauge.builder("kvpipe.cdc.outbox.depth", outbox, o -> (double) o.depth()).tag("group", groupId)
        .description("change events committed but not yet confirmed as published").strongReference(true)
        .register(registry);
    Gauge.builder("kvpipe.cdc.unacked.events", unackedEvents, AtomicLong::get).tag("group", groupId)
        .description("change events sent to Kafka and not yet acknowledged").register(registry);
    Gauge.builder("kvpipe.cdc.acked.index", ackedIndex, AtomicLong::get).tag("group", groupId)
        .description("log index up to which Kafka acknowledged every event").register(registry);
    publishLag = Timer.builder("kvpipe.cdc.publish.lag").tag("group", groupId)
        .description("leader commit time to Kafka acknowledgement")
        .serviceLevelObjectives(StandardMeters.LATENCY_BUCKETS).register(registry);
    published = Counter.builder("kvpipe.cdc.events.published").tag("group", groupId)
        .description("change events acknowledged by Kafka").register(registry);
    confirms = Counter.builder("kvpipe.cdc.confirms").tag("group", groupId)
        .description("published-up-to commands committed").register(registry);
    kafkaErrors = Counter.builder("kvpipe.cdc.errors").tags("group", groupId, "stage", "kafka")
        .description("CDC publishing failures").register(registry);
    confirmErrors = Counter.builder("kvpipe.cdc.errors").tags("group", groupId, "stage", "confirm")
        .description("CDC publishing failures").register(registry);
  }

  /** Publish lag, for benchmarks and tests (p50/p99 via {@code takeSnapshot()}). */
  public Timer publishLag() {
    return publishLag;
  }

  public double eventsPublished() {
    return published.count();
  }

  public double kafkaErrors() {
    return kafkaErrors.count();
  }

  /** Where these meters live; the publisher's Kafka producer binds its own meters there too. */
  MeterRegistry registry() {
    return registry;
  }
}
