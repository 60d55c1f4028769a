package io.kvpipe.consumer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.apache.kafka.common.TopicPartition;

/**
 * Which partitions' batches keep failing to be archived, for readiness: a partition whose batch failed on its last
 * {@code maxTries} tries, or has been failing for longer than {@code maxFailingMs}, makes the consumer not ready
 * until a batch of it is written. (A failing batch is retried forever, which is right for an outage, but /ready must
 * say that nothing is being archived.) Written by the loop's thread, read by the HTTP thread.
 */
final class WriteFailures {
  /** Tries after which a partition that fails on every one counts as "cannot write". */
  static final int MAX_TRIES = 3;
  /** How long a partition may fail (however few tries) before it counts as "cannot write". */
  static final long MAX_FAILING_MS = 30_000;

  private record Streak(int tries, long sinceMs, String lastError) {}

  private final Map<TopicPartition, Streak> failing = new ConcurrentHashMap<>();
  private final int maxTries;
  private final long maxFailingMs;
  private final LongSupplier clock;

  WriteFailures() {
    this(MAX_TRIES, MAX_FAILING_MS, System::currentTimeMillis);
  }

  WriteFailures(int maxTries, long maxFailingMs, LongSupplier clock) {
    this.maxTries = maxTries;
    this.maxFailingMs = maxFailingMs;
    this.clock = clock;
  }

  void failed(Collection<TopicPartition> partitions, String error) {
    long now = clock.getAsLong();
    for (TopicPartition tp : partitions) {
      failing.merge(tp, new Streak(1, now, error), (old, one) -> new Streak(old.tries() + 1, old.sinceMs(), error));
    }
  }

  void written(Collection<TopicPartition> partitions) {
    partitions.forEach(failing::remove);
  }

  /** Partitions no longer assigned say nothing about this instance. */
  void retainOnly(Collection<TopicPartition> assigned) {
    failing.keySet().retainAll(assigned);
  }

  /** One line per partition that counts as "cannot write"; empty when every partition writes (or only just failed). */
  List<String> problems() {
    long now = clock.getAsLong();
    List<String> out = new ArrayList<>();
    failing.forEach((tp, s) -> {
      if (s.tries() >= maxTries || now - s.sinceMs() > maxFailingMs) {
        out.add(tp + " failed " + s.tries() + " tr" + (s.tries() == 1 ? "y" : "ies") + " in a row over "
            + (now - s.sinceMs()) + " ms, last: " + s.lastError());
      }
    });
    out.sort(null);
    return out;
  }
}
