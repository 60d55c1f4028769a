package io.kvpipe.consumer;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import org.apache.kafka.common.TopicPartition;

/**
 * The partitions this consumer holds but will not archive until an operator acts (see {@link StartPosition.Stopped}),
 * with why. Written by the archive loop's thread; read by the metrics and readiness threads. The gauge
 * {@code kvpipe.archive.partitions.stopped} counts them; {@link #problems()} is what {@code GET /ready} reports.
 */
final class StoppedPartitions {
  private final Map<TopicPartition, StartPosition.Stopped> stopped = new ConcurrentSkipListMap<>(
      (a, b) -> a.topic().equals(b.topic()) ? Integer.compare(a.partition(), b.partition())
          : a.topic().compareTo(b.topic()));

  StoppedPartitions(MeterRegistry registry) {
    Gauge.builder("kvpipe.archive.partitions.stopped", stopped, Map::size)
        .description("partitions not archived because their stored offset is outside what Kafka retains;"
            + " an operator must reset them (see docs)")
        .register(registry);
  }

  /** Records {@code tp} as stopped; true if it was not (or was stopped for another reason) before. */
  boolean stop(TopicPartition tp, StartPosition.Stopped why) {
    return !why.equals(stopped.put(tp, why));
  }

  void resume(TopicPartition tp) {
    stopped.remove(tp);
  }

  /** Revoked partitions are another instance's concern now. */
  void forget(Collection<TopicPartition> partitions) {
    partitions.forEach(stopped::remove);
  }

  boolean contains(TopicPartition tp) {
    return stopped.containsKey(tp);
  }

  Set<TopicPartition> partitions() {
    return Set.copyOf(stopped.keySet());
  }

  boolean isEmpty() {
    return stopped.isEmpty();
  }

  /** One line per stopped partition: {@code topic-partition stopped: reason}. Empty when none is stopped. */
  List<String> problems() {
    List<String> out = new ArrayList<>();
    stopped.forEach((tp, why) -> out.add(tp + " stopped: " + why.reason()));
    return out;
  }
}
