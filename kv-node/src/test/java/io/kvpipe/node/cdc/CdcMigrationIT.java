package io.kvpipe.node.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.event.DebeziumEnvelope;
import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.Versions;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.ChangeEventCodec;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.MigrationToken;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bulk commands' change events on a real topic (3 kv-node processes, a real broker): a PutAll is n client events
 * at one log index (seq 0..n-1, c or u by the key's prior value), a MigrateIn is migration events that keep the
 * copied versions (c, u, d), and records the group already had newer produce no event.
 */
class CdcMigrationIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();
  private static final Duration START = Duration.ofSeconds(90);
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final String TOPIC = "kv.changes.migration";

  @TempDir Path dir;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void bulkLoadsAreClientEventsAndCopiesAreMigrationEventsWithTheirOwnVersions() throws Exception {
    try (KvNodeCluster cluster = KvNodeCluster.builder(KvNodeMain.class.getName(), dir)
        .group("g1", RaftGroupId.valueOf(GroupIds.uuidOf("g1")))
        .args("--kafka-bootstrap", KAFKA.bootstrapServers(), "--topic", TOPIC, "--cdc-partitions", "2",
            "--cdc-confirm-interval-ms", "50", "--cdc-linger-ms", "1").start(START);
         ShardGroupClient client = ShardGroupClient.builder("g1", PeerAddress.parseList(cluster.peersSpec())).tls(TestTls.cluster().raftTls())
             .operationTimeout(Duration.ofSeconds(20)).build()) {
      cluster.awaitLeader("g1", START);
      client.put("load-0", b("before"));
      Map<String, byte[]> load = new LinkedHashMap<>();
      for (int i = 0; i < 50; i++) {
        load.put("load-" + i, b("bulk-" + i));
      }
      Reply.Written loaded = ShardGroupClient.join(client.putAllAsync(load));
      long loadIndex = Versions.logIndex(loaded.version());

      // The group takes over at epoch 2; copies carry epoch-1 versions from their old group.
      MigrationToken token = new MigrationToken("m1", 2);
      ShardGroupClient.join(client.setOwnershipAsync(2, HashRanges.FULL, token.migrationId()));
      long newer = client.put("written-here", b("mine")).version();
      List<Entry> copies = List.of(
          new Entry(b("copied"), b("c"), Versions.of(1, 900)),
          new Entry(b("load-1"), b("older copy"), Versions.of(1, 1)),      // the load is newer: no event
          new Entry(b("load-2"), b("newer copy"), Versions.of(1, loadIndex + 1000)),
          new Entry(b("written-here"), b("theirs"), Versions.of(1, 5000)), // written here at epoch 2: no event
          new Entry(b("deleted-there"), null, Versions.of(1, 950)));
      Reply.Migrated migrated = ShardGroupClient.join(client.migrateInAsync(copies, token));
      assertThat(migrated).isEqualTo(new Reply.Migrated(3, 2));
      // Confirm entries interleave with ours, so the copy's index is found from its events' origin.
      Map<Long, TreeMap<Integer, ChangeEvent>> byIndex = Poll.forValue("the bulk and copy events on " + TOPIC, WAIT,
          () -> {
            Map<Long, TreeMap<Integer, ChangeEvent>> seen = new java.util.HashMap<>();
            Map<Integer, ChangeEvent> previousIn = new java.util.HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAll(KAFKA.bootstrapServers(), TOPIC, WAIT)) {
              if (r.value() == null) {
                // The tombstone follows its delete, in the same partition, with the same key.
                ChangeEvent previous = previousIn.get(r.partition());
                assertThat(previous).isNotNull();
                assertThat(previous.op()).isEqualTo(Op.DELETE);
                assertThat(DebeziumEnvelope.decodeKey(r.key())).isEqualTo(previous.key());
                continue;
              }
              ChangeEvent e = ChangeEventCodec.decode(r.value());
              previousIn.put(r.partition(), e);
              assertThat(DebeziumEnvelope.decodeKey(r.key())).isEqualTo(e.key());
              seen.computeIfAbsent(e.logIndex(), i -> new TreeMap<>()).put(e.seq(), e);
            }
            long moves = seen.values().stream().flatMap(m -> m.values().stream())
                .filter(e -> e.origin() == Origin.MIGRATION).count();
            return seen.getOrDefault(loadIndex, new TreeMap<>()).size() == 50 && moves == 3 ? seen : null;
          });
      long copyIndex = byIndex.values().stream().flatMap(m -> m.values().stream())
          .filter(e -> e.origin() == Origin.MIGRATION).findFirst().orElseThrow().logIndex();
      assertThat(byIndex.get(copyIndex)).hasSize(3);

      List<ChangeEvent> bulk = new ArrayList<>(byIndex.get(loadIndex).values());
      assertThat(bulk).extracting(ChangeEvent::seq).containsExactlyElementsOf(IntStream.range(0, 50).boxed().toList());
      assertThat(bulk).extracting(ChangeEvent::key).containsExactlyElementsOf(load.keySet());
      assertThat(bulk).allSatisfy(e -> {
        assertThat(e.origin()).isEqualTo(Origin.CLIENT);
        assertThat(e.version()).isEqualTo(loaded.version());
      });
      assertThat(bulk.get(0).op()).isEqualTo(Op.UPDATE);
      assertThat(bulk.get(0).before()).isEqualTo(b("before"));
      assertThat(bulk.subList(1, 50)).allSatisfy(e -> assertThat(e.op()).isEqualTo(Op.CREATE));

      List<ChangeEvent> moves = new ArrayList<>(byIndex.get(copyIndex).values());
      assertThat(moves).extracting(ChangeEvent::key).containsExactly("copied", "load-2", "deleted-there");
      assertThat(moves).extracting(ChangeEvent::op).containsExactly(Op.CREATE, Op.UPDATE, Op.DELETE);
      assertThat(moves).extracting(ChangeEvent::version)
          .containsExactly(Versions.of(1, 900), Versions.of(1, loadIndex + 1000), Versions.of(1, 950));
      assertThat(moves).allSatisfy(e -> {
        assertThat(e.origin()).isEqualTo(Origin.MIGRATION);
        assertThat(e.epoch()).isEqualTo(2);
      });
      assertThat(moves.get(1).before()).isEqualTo(b("bulk-2"));
      assertThat(client.get("written-here").orElseThrow().version()).isEqualTo(newer);
      Poll.until("outbox drained past the copy", WAIT, () -> client.status().confirmedIndex() >= copyIndex);
    }
  }
}
