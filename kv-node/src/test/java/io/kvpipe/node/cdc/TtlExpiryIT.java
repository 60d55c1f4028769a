package io.kvpipe.node.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.ChangeEventCodec;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import io.kvpipe.node.KvNodeMain;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.ratis.KvNodeCluster;
import io.kvpipe.testsupport.tls.TestTls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * TTL end to end on one group of 3 kv-node processes publishing to a real broker (docs/ttl.md): a key is not read
 * past its deadline and its leader collects it as exactly one {@code d} event marked {@code expiry}; a key re-put with
 * a new TTL before its deadline survives the old one; a deadline survives a leader kill, snapshots and a restart of
 * every node, and the new leader collects it.
 */
class TtlExpiryIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();
  private static final Duration START = Duration.ofSeconds(90);
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String TOPIC = "kv.changes.ttl";

  @TempDir Path dir;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void expiredKeysAreHiddenThenCollectedOnceAndDeadlinesSurviveLeaderChangesAndRestarts() throws Exception {
    try (KvNodeCluster cluster = KvNodeCluster.builder(KvNodeMain.class.getName(), dir)
        .group("g1", RaftGroupId.valueOf(GroupIds.uuidOf("g1")))
        // Frequent snapshots, so the restarts below load deadlines from a snapshot, not only from the log.
        .args("--kafka-bootstrap", KAFKA.bootstrapServers(), "--topic", TOPIC, "--snapshot-threshold", "20")
        .start(START);
         ShardGroupClient client = ShardGroupClient.builder("g1", PeerAddress.parseList(cluster.peersSpec()))
             .tls(TestTls.cluster().raftTls()).operationTimeout(Duration.ofSeconds(20)).build()) {
      cluster.awaitLeader("g1", START);

      // Read back at once, with room: on a box busy enough, the writes below took longer than a 1.5 s TTL and the key
      // was gone before this read.
      client.join(client.putAsync("short", b("s"), Request.ANY_VERSION, 4_000));
      Entry short1 = client.get("short").orElseThrow();
      assertThat(short1.hasTtl()).isTrue();
      client.join(client.putAsync("renewed", b("r1"), Request.ANY_VERSION, 1_500));
      Reply.Written renewed = client.join(client.putAsync("renewed", b("r2"), Request.ANY_VERSION, 600_000));
      client.join(client.putAsync("kept", b("k"), Request.ANY_VERSION, 40_000));
      client.put("plain", b("p"));

      // Not returned from its deadline on (by the leader's clock, which stamped it: this JVM shares the box's clock).
      Poll.until("short gone", WAIT, () -> client.get("short").isEmpty());
      assertThat(System.currentTimeMillis()).isGreaterThanOrEqualTo(short1.expiresAtMs() - 50);
      assertThat(client.readRecordAsync("short", false).join()).hasValueSatisfying(e -> assertThat(e.deleted()).isTrue());
      Poll.until("short's expiry on the topic", WAIT, () -> expiries("short").size() == 1);

      // The old deadline of "renewed" has long passed, and the collector has been round since: still there.
      Entry r = client.get("renewed").orElseThrow();
      assertThat(r.value()).isEqualTo(b("r2"));
      assertThat(r.version()).isEqualTo(renewed.version());
      assertThat(r.expiresAtMs()).isGreaterThan(System.currentTimeMillis() + 500_000);

      // Enough writes for a few snapshots, then the leader dies.
      for (int i = 0; i < 60; i++) {
        client.put("filler-" + i, b("f"));
      }
      Entry kept = client.get("kept").orElseThrow();
      String leader = cluster.awaitLeader("g1", START);
      cluster.kill9(leader);
      String next = Poll.forValue("a new leader", START, () -> cluster.leader("g1").filter(l -> !l.equals(leader))
          .orElse(null));
      assertThat(next).isNotEqualTo(leader);
      assertThat(client.get("kept").orElseThrow().expiresAtMs()).isEqualTo(kept.expiresAtMs());
      cluster.restart(leader, START);

      // Every node stops and comes back: the state is rebuilt from snapshots and the log.
      for (String id : cluster.nodeIds()) {
        cluster.stop(id, Duration.ofSeconds(10));
      }
      for (String id : cluster.nodeIds()) {
        cluster.process(id).start();
      }
      for (String id : cluster.nodeIds()) {
        cluster.restartWait(id, START);
      }
      cluster.awaitLeader("g1", START);
      assertThat(cluster.nodeIds().stream().anyMatch(id -> cluster.process(id).logTail(400)
          .contains("loaded snapshot"))).as("a node loaded a snapshot").isTrue();
      Optional<Entry> afterRestart = client.get("kept");
      if (System.currentTimeMillis() < kept.expiresAtMs() - 1_000) {
        assertThat(afterRestart).hasValueSatisfying(e -> {
          assertThat(e.expiresAtMs()).isEqualTo(kept.expiresAtMs());
          assertThat(e.version()).isEqualTo(kept.version());
        });
      } else {
        System.out.println("ttl-it: the restarts outlasted kept's TTL; only its collection is checked");
      }
      assertThat(client.get("renewed").orElseThrow().expiresAtMs()).isEqualTo(r.expiresAtMs());

      Poll.until("kept gone", WAIT, () -> client.get("kept").isEmpty());
      Poll.until("kept's expiry on the topic", WAIT, () -> expiries("kept").size() == 1);
      assertThat(client.get("plain")).isPresent();

      // Exactly once each (by identity: a republished event repeats one), marked, deleting the value it had.
      Map<String, List<ChangeEvent>> all = events();
      for (String key : List.of("short", "kept")) {
        List<ChangeEvent> d = expiries(key);
        assertThat(d).hasSize(1);
        ChangeEvent e = d.get(0);
        assertThat(e.op()).isEqualTo(Op.DELETE);
        assertThat(e.before()).isEqualTo(b(key.equals("short") ? "s" : "k"));
        assertThat(all.get(key)).filteredOn(x -> x.op() == Op.DELETE).extracting(ChangeEvent::origin)
            .containsOnly(Origin.EXPIRY);
      }
      assertThat(expiries("renewed")).isEmpty();
      assertThat(expiries("kept").get(0).version()).isGreaterThan(kept.version());
    }
  }

  /** The distinct expiry events of {@code key} on the topic (republished copies counted once). */
  private static List<ChangeEvent> expiries(String key) {
    return events().getOrDefault(key, List.of()).stream().filter(e -> e.origin() == Origin.EXPIRY).toList();
  }

  /** Each key's distinct events (by identity) on the topic, in topic order. */
  private static Map<String, List<ChangeEvent>> events() {
    return TopicReader.readAll(KAFKA.bootstrapServers(), TOPIC, WAIT).stream()
        .filter(rec -> rec.value() != null)
        .map(rec -> ChangeEventCodec.decode(rec.value()))
        .collect(Collectors.toMap(e -> e.logIndex() + "." + e.seq(), e -> e, (a, x) -> a,
            java.util.LinkedHashMap::new))
        .values().stream()
        .collect(Collectors.groupingBy(ChangeEvent::key, java.util.LinkedHashMap::new, Collectors.toList()));
  }
}
