package io.kvpipe.node.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.event.DebeziumEnvelope;
import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.ChangeEventCodec;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.node.KvNodeMain;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.ratis.KvNodeCluster;
import io.kvpipe.testsupport.tls.TestTls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3's on-demand snapshot, end to end (3 kv-node processes, a real broker): after creates, updates and deletes,
 * PublishSnapshot puts r events on the topic at one log index that reproduce the store's live state exactly: every
 * live key once, with its value and its unchanged version, no deleted key, seq 0..N-1.
 */
class CdcSnapshotIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();
  private static final Duration START = Duration.ofSeconds(90);
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final String TOPIC = "kv.changes.snapshot";

  @TempDir Path dir;

  @Test
  void snapshotEventsReproduceTheLiveStateAtOneLogIndex() throws Exception {
    try (KvNodeCluster cluster = KvNodeCluster.builder(KvNodeMain.class.getName(), dir)
        .group("g1", RaftGroupId.valueOf(GroupIds.uuidOf("g1")))
        .args("--kafka-bootstrap", KAFKA.bootstrapServers(), "--topic", TOPIC, "--cdc-partitions", "2",
            "--cdc-confirm-interval-ms", "50", "--cdc-linger-ms", "1").start(START);
         ShardGroupClient client = ShardGroupClient.builder("g1", PeerAddress.parseList(cluster.peersSpec())).tls(TestTls.cluster().raftTls())
             .operationTimeout(Duration.ofSeconds(20)).build()) {
      cluster.awaitLeader("g1", START);
      Map<String, Entry> live = new HashMap<>();
      for (int i = 0; i < 60; i++) {
        String key = "key-" + i;
        byte[] value = ("v" + i).getBytes(StandardCharsets.UTF_8);
        live.put(key, new Entry(key.getBytes(StandardCharsets.UTF_8), value, client.put(key, value).version()));
      }
      for (int i = 0; i < 60; i += 3) { // updates
        String key = "key-" + i;
        byte[] value = new byte[] {0, (byte) 0xff, (byte) i}; // binary
        live.put(key, new Entry(key.getBytes(StandardCharsets.UTF_8), value, client.put(key, value).version()));
      }
      for (int i = 1; i < 60; i += 5) { // deletes (tombstones stay in the store)
        client.delete("key-" + i);
        live.remove("key-" + i);
      }
      client.delete("never-written");

      Reply.SnapshotPublished snap = client.publishSnapshot();
      assertThat(snap.events()).isEqualTo(live.size());
      long index = snap.logIndex();

      List<ChangeEvent> reads = Poll.forValue("the snapshot's " + snap.events() + " events on " + TOPIC, WAIT, () -> {
        Map<Integer, ChangeEvent> bySeq = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAll(KAFKA.bootstrapServers(), TOPIC, WAIT)) {
          if (r.value() == null) {
            continue; // the tombstone after a delete
          }
          ChangeEvent e = ChangeEventCodec.decode(r.value());
          if (e.logIndex() == index) {
            assertThat(DebeziumEnvelope.decodeKey(r.key())).isEqualTo(e.key());
            ChangeEvent first = bySeq.putIfAbsent(e.seq(), e);
            assertThat(first == null || first.equals(e)).as("a repeated identity is an identical event").isTrue();
          }
        }
        return bySeq.size() >= snap.events() ? new ArrayList<>(bySeq.values()) : null;
      });

      assertThat(reads).extracting(ChangeEvent::seq)
          .containsExactlyInAnyOrderElementsOf(IntStream.range(0, snap.events()).boxed().toList());
      assertThat(reads).extracting(ChangeEvent::key).containsExactlyInAnyOrderElementsOf(live.keySet());
      for (ChangeEvent e : reads) {
        Entry expected = live.get(e.key());
        assertThat(e.op()).isEqualTo(Op.READ);
        assertThat(e.origin()).isEqualTo(Origin.SNAPSHOT);
        assertThat(e.before()).isNull();
        assertThat(e.after()).as(e.key()).isEqualTo(expected.value());
        assertThat(e.version()).as(e.key()).isEqualTo(expected.version());
      }
      assertThat(TopicReader.partitionCount(KAFKA.bootstrapServers(), TOPIC, WAIT)).as("--cdc-partitions").isEqualTo(2);
      // The snapshot changed nothing in the store.
      for (Entry expected : live.values()) {
        Entry now = client.get(expected.keyString()).orElseThrow();
        assertThat(now.version()).isEqualTo(expected.version());
        assertThat(now.value()).isEqualTo(expected.value());
      }
      // And the outbox drains (the publisher confirmed the whole index): writes go on as before.
      Poll.until("outbox drained past the snapshot", WAIT, () -> client.status().confirmedIndex() >= index);
      assertThat(client.put("after-snapshot", new byte[] {1}).version()).isPositive();
    }
  }
}
