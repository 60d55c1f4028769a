package io.kvpipe.node.cdc;

import io.kvpipe.common.event.DebeziumEnvelope;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.utils.Utils;

/**
 * Places a change record by its KV key's UTF-8 bytes, exactly as Kafka's default partitioner placed format-1 records
 * (whose record key was those bytes): murmur2, modulo the partition count. Format 2's record key is a JSON struct, whose
 * hash would move every key to another partition; this keeps each key where its earlier events are, so per-key order
 * holds across the format change, and the tombstone goes where its delete went. Stateless.
 */
public final class KvKeyPartitioner implements Partitioner {
  /** The partition of KV key {@code key} among {@code partitions}. */
  public static int partitionOf(String key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  @Override
  public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
    Integer partitions = cluster.partitionCountForTopic(topic);
    if (partitions == null || partitions < 1) {
      // The producer asks only once it has the topic's metadata; this would be a Kafka client bug.
      throw new IllegalStateException("no partition count known for topic " + topic);
    }
    return partitionOf(DebeziumEnvelope.decodeKey(keyBytes), partitions);
  }

  @Override
  public void configure(Map<String, ?> configs) {}

  @Override
  public void close() {}
}
