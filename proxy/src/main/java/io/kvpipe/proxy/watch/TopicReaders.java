package io.kvpipe.proxy.watch;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.ChangeEventCodec;
import io.kvpipe.common.event.MalformedEventException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Kafka readers of the change topic as the watch feed uses them: no consumer group (every partition assigned, nothing
 * committed; a watcher's position travels in its token), committed records only (publishers may be transactional),
 * and a decode that turns a record into the change a watcher sees, or null.
 */
final class TopicReaders {
  private TopicReaders() {}

  static KafkaConsumer<byte[], byte[]> open(String bootstrap, String clientId) {
    Map<String, Object> p = new HashMap<>();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"); // every position is set explicitly; never guess one
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** The topic's partitions in order, or an empty list while it does not exist yet. */
  static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> c, String topic, Duration timeout) {
    List<PartitionInfo> info = c.partitionsFor(topic, timeout);
    List<TopicPartition> out = new ArrayList<>();
    if (info != null) {
      for (int p = 0; p < info.size(); p++) {
        out.add(new TopicPartition(topic, p));
      }
    }
    return out;
  }

  static long[] offsets(Map<TopicPartition, Long> byPartition, List<TopicPartition> parts) {
    long[] out = new long[parts.size()];
    for (int p = 0; p < out.length; p++) {
      out[p] = byPartition.get(parts.get(p));
    }
    return out;
  }

  /** What a record means to a watcher. */
  enum Kind { CHANGE, NOT_A_CHANGE, MALFORMED }

  record Decoded(Kind kind, ChangeEvent event) {}

  static Decoded decode(ConsumerRecord<byte[], byte[]> r) {
    if (r.value() == null) {
      return new Decoded(Kind.NOT_A_CHANGE, null); // the tombstone after a delete (docs/events.md)
    }
    try {
      ChangeEvent e = ChangeEventCodec.decode(r.value());
      return new Decoded(WatchFrames.isChange(e) ? Kind.CHANGE : Kind.NOT_A_CHANGE, e);
    } catch (MalformedEventException e) {
      return new Decoded(Kind.MALFORMED, null); // the archive dead-letters it; a watcher cannot use it either
    }
  }
}
