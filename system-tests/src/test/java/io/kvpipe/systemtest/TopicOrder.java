package io.kvpipe.systemtest;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.ChangeEventCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The change topic's per-key order promise (docs/events.md), checked over everything on the topic: reading each
 * partition from the start, an event seen for the first time never carries a version below one already seen for its
 * key. Repeats of an identity (at-least-once delivery) and copies keeping the version they copy are fine.
 */
final class TopicOrder {
  private TopicOrder() {}

  /** One line per event that broke the order; empty if none did. */
  static List<String> outOfOrder(String bootstrap, String topic) {
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo p : c.partitionsFor(topic, Duration.ofSeconds(30))) {
        parts.add(new TopicPartition(topic, p.partition()));
      }
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts, Duration.ofSeconds(30));
      Map<String, Long> newest = new HashMap<>();
      Set<String> seen = new HashSet<>();
      while (parts.stream().anyMatch(p -> c.position(p, Duration.ofSeconds(30)) < end.get(p))) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          if (r.value() == null) {
            continue; // the tombstone after a delete
          }
          ChangeEvent e = ChangeEventCodec.decode(r.value());
          if (!seen.add(e.group() + "/" + e.logIndex() + "/" + e.seq())) {
            continue;
          }
          long before = newest.getOrDefault(e.key(), 0L);
          if (e.version() < before) {
            out.add(e + " at " + r.partition() + "/" + r.offset() + " after version " + before);
          }
          newest.merge(e.key(), e.version(), Math::max);
        }
      }
    }
    return out;
  }
}
