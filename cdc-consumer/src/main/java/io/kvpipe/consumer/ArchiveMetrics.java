package io.kvpipe.consumer;

import io.kvpipe.common.metrics.StandardMeters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;

/**
 * The consumer's meters: events archived (a counter: its rate is PromQL's job), batch latency (fixed buckets), dead letters, skipped tombstones,
 * failed batches, and lag
 * per partition. Updated by the archive loop's thread, read by the scrape thread: every holder is atomic/concurrent.
 */
final class ArchiveMetrics {
  private final MeterRegistry registry;
  private final Counter events;
  private final Counter deadLetters;
  private final Counter tombstones;
  private final Counter failures;
  private final Timer batchLatency;
  private final Map<TopicPartition, AtomicLong> lag = new ConcurrentHashMap<>();

  ArchiveMetrics(MeterRegistry registry) {
    this.registry = registry;
    events = Counter.builder("kvpipe.archive.events").description("change events archived (incl. replays)")
        .register(registry);
    deadLetters = Counter.builder("kvpipe.archive.dead.letters").description("records dead-lettered")
        .register(registry);
    tombstones = Counter.builder("kvpipe.archive.tombstones.skipped")
        .description("Kafka tombstones after deletes, skipped (nothing to archive)").register(registry);
    failures = Counter.builder("kvpipe.archive.batch.failures").description("batches rolled back to retry")
        .register(registry);
    batchLatency = Timer.builder("kvpipe.archive.batch.latency").description("time to archive one poll batch")
        .serviceLevelObjectives(StandardMeters.LATENCY_BUCKETS).register(registry);
  }

  void batchDone(int eventCount, int deadLetterCount, int tombstoneCount, long nanos) {
    events.increment(eventCount);
    tombstones.increment(tombstoneCount);
    deadLetters.increment(deadLetterCount);
    batchLatency.record(Duration.ofNanos(nanos));
  }

  void batchFailed() {
    failures.increment();
  }

  void lag(TopicPartition tp, long value) {
    lag.computeIfAbsent(tp, p -> {
      AtomicLong holder = new AtomicLong();
      Gauge.builder("kvpipe.archive.lag", holder, AtomicLong::get).description("records behind the partition's end")
          .tag("topic", p.topic()).tag("partition", String.valueOf(p.partition())).register(registry);
      return holder;
    }).set(value);
  }

  void forget(Collection<TopicPartition> partitions) {
    for (TopicPartition p : partitions) {
      if (lag.remove(p) != null) {
        registry.find("kvpipe.archive.lag").tag("topic", p.topic()).tag("partition", String.valueOf(p.partition()))
            .meters().forEach(registry::remove);
      }
    }
  }

}
