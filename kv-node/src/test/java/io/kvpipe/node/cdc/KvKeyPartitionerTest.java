package io.kvpipe.node.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.event.DebeziumEnvelope;
import io.kvpipe.common.event.EnvelopeOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.junit.jupiter.api.Test;

class KvKeyPartitionerTest {
  @Test
  void aFormatTwoRecordGoesWhereKafkaPutTheKeysFormatOneRecords() {
    Node node = new Node(1, "127.0.0.1", 9092);
    List<PartitionInfo> parts = new ArrayList<>();
    for (int p = 0; p < 7; p++) {
      parts.add(new PartitionInfo("t", p, node, new Node[] {node}, new Node[] {node}));
    }
    Cluster cluster = new Cluster("c", List.of(node), parts, Set.of(), Set.of());
    KvKeyPartitioner partitioner = new KvKeyPartitioner();
    for (boolean schemas : new boolean[] {false, true}) {
      DebeziumEnvelope envelope = DebeziumEnvelope.of(new EnvelopeOptions("c", schemas));
      for (String key : List.of("a", "user:42", "ключ 🔑", "k" + "x".repeat(500))) {
        byte[] raw = key.getBytes(StandardCharsets.UTF_8);
        byte[] struct = envelope.encodeKey(key);
        // Kafka's default partitioner on the raw UTF-8 key: where format 1 put this key.
        int formatOne = BuiltInPartitioner.partitionForKey(raw, 7);
        assertThat(partitioner.partition("t", struct, struct, null, null, cluster)).as(key).isEqualTo(formatOne);
      }
    }
  }
}
