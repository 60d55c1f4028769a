package io.kvpipe.consumer;

import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * Everything one poll produced, written in one MySQL transaction: the good events, the dead letters, and for each
 * partition the offset to resume from once this batch is durable; {@code tombstones} counts the Kafka tombstones that
 * followed deletes (skipped: they carry nothing to archive).
 */
public record ArchiveBatch(List<ArchiveEvent> events, List<DeadLetter> deadLetters,
                           Map<TopicPartition, Long> nextOffsets, int tombstones) {
  public ArchiveBatch(List<ArchiveEvent> events, List<DeadLetter> deadLetters, Map<TopicPartition, Long> nextOffsets) {
    this(events, deadLetters, nextOffsets, 0);
  }

  public ArchiveBatch {
    events = List.copyOf(events);
    deadLetters = List.copyOf(deadLetters);
    nextOffsets = Map.copyOf(nextOffsets);
  }

  public int size() {
    return events.size() + deadLetters.size();
  }
}
