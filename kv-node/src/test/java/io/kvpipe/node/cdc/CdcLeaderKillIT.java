package io.kvpipe.node.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.Versions;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.ChangeEventCodec;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3's main guarantee, end to end (3 kv-node processes, a real broker): under concurrent writes the leader is
 * killed with SIGKILL several times; afterwards the topic holds every acknowledged write, nothing that was never
 * written, duplicates only as identical republished events, and per key increasing versions.
 */
class CdcLeaderKillIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();
  private static final Duration START = Duration.ofSeconds(90);
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final String TOPIC = "kv.changes.kill";
  private static final int WRITERS = 4;
  private static final int KILLS = 3;

  @TempDir Path dir;

  /** An acknowledged write. */
  record Ack(String key, String value, long version) {}

  @Test
  void everyAcknowledgedWriteReachesKafkaAcrossLeaderKills() throws Exception {
    try (KvNodeCluster cluster = KvNodeCluster.builder(KvNodeMain.class.getName(), dir)
        .group("g1", RaftGroupId.valueOf(GroupIds.uuidOf("g1")))
        .args("--kafka-bootstrap", KAFKA.bootstrapServers(), "--topic", TOPIC).start(START);
         ShardGroupClient client = ShardGroupClient.builder("g1", PeerAddress.parseList(cluster.peersSpec())).tls(TestTls.cluster().raftTls())
             .operationTimeout(Duration.ofSeconds(20)).build()) {
      cluster.awaitLeader("g1", START);
      List<Ack> acks = new ArrayList<>();
      Set<String> attempted = ConcurrentHashMap.newKeySet();
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger ackCount = new AtomicInteger();
      List<Thread> writers = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        int writer = w;
        writers.add(Thread.ofPlatform().name("writer-" + w).start(() -> {
          for (int i = 0; running.get(); i++) {
            String key = "w" + writer + "-k" + (i % 20);
            String value = "w" + writer + "-" + i;
            attempted.add(key + "=" + value);
            try {
              Reply.Written r = client.put(key, value.getBytes(StandardCharsets.UTF_8));
              synchronized (acks) {
                acks.add(new Ack(key, value, r.version()));
              }
              ackCount.incrementAndGet();
            } catch (KvException e) {
              // Unacknowledged (election in progress): it may or may not have been committed.
            }
          }
        }));
      }
      for (int k = 0; k < KILLS; k++) {
        int before = ackCount.get();
        Poll.until("writes before kill " + (k + 1), WAIT, () -> ackCount.get() >= before + 150);
        String leader = cluster.awaitLeader("g1", START);
        cluster.kill9(leader);
        int atKill = ackCount.get();
        Poll.until("writes after kill " + (k + 1), WAIT, () -> ackCount.get() >= atKill + 150);
        cluster.restart(leader, START);
      }
      running.set(false);
      for (Thread t : writers) {
        t.join(Duration.ofSeconds(60));
      }

      // Every acknowledged write arrives (published by whichever leader holds its unconfirmed outbox entry). A write
      // is known by key and version (group commit gives the writes of one entry one version); an event by its
      // identity (log index, seq).
      Map<String, Ack> ackByKeyVersion = new HashMap<>();
      for (Ack a : acks) {
        ackByKeyVersion.put(a.key() + "@" + a.version(), a);
      }
      Map<String, ChangeEvent> byIdentity = new HashMap<>();
      Set<String> published = new HashSet<>();
      List<ConsumerRecord<byte[], byte[]>> records = Poll.forValue("all acknowledged writes on " + TOPIC, WAIT, () -> {
        List<ConsumerRecord<byte[], byte[]>> all = TopicReader.readAll(KAFKA.bootstrapServers(), TOPIC, WAIT);
        Set<String> writes = ConcurrentHashMap.newKeySet();
        all.forEach(r -> {
          ChangeEvent e = ChangeEventCodec.decode(r.value());
          writes.add(e.key() + "@" + e.version());
        });
        return writes.containsAll(ackByKeyVersion.keySet()) ? all : null;
      });

      Map<String, List<Long>> firstSeenVersions = new HashMap<>();
      int duplicates = 0;
      for (ConsumerRecord<byte[], byte[]> r : records) {
        ChangeEvent e = ChangeEventCodec.decode(r.value());
        assertThat(e.group()).isEqualTo("g1");
        assertThat(Versions.logIndex(e.version())).isEqualTo(e.logIndex());
        String after = new String(e.after(), StandardCharsets.UTF_8);
        assertThat(attempted).as("an event nobody wrote").contains(e.key() + "=" + after);
        Ack ack = ackByKeyVersion.get(e.key() + "@" + e.version());
        if (ack != null) {
          assertThat(after).isEqualTo(ack.value());
        }
        published.add(e.key() + "@" + e.version());
        ChangeEvent first = byIdentity.putIfAbsent(e.logIndex() + "." + e.seq(), e);
        if (first != null) {
          assertThat(e).as("a republished event is identical").isEqualTo(first);
          duplicates++;
        } else {
          firstSeenVersions.computeIfAbsent(e.key(), x -> new ArrayList<>()).add(e.version());
        }
      }
      firstSeenVersions.forEach((key, versions) ->
          assertThat(versions).as("versions of %s in first-seen order", key).isSorted().doesNotHaveDuplicates());

      // And the topic agrees with the store: each key's newest event is its current record.
      for (String key : firstSeenVersions.keySet()) {
        Entry current = client.get(key).orElseThrow();
        Poll.until(key + "@" + current.version() + " on the topic", WAIT, () -> published.contains(
            key + "@" + current.version()) || newest(key, TOPIC) >= current.version());
      }
      System.out.printf("cdc-leader-kill: %d acks, %d events on the topic, %d republished duplicates%n",
          acks.size(), records.size(), duplicates);
    }
  }

  private static long newest(String key, String topic) {
    long max = 0;
    for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAll(KAFKA.bootstrapServers(), topic, WAIT)) {
      ChangeEvent e = ChangeEventCodec.decode(r.value());
      if (e.key().equals(key)) {
        max = Math.max(max, e.version());
      }
    }
    return max;
  }
}
