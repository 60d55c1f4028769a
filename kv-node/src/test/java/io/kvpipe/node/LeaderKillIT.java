package io.kvpipe.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.ratis.KvNodeCluster;
import io.kvpipe.testsupport.tls.TestTls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kill -9 of the leader process while clients write: writes resume, and no acknowledged write is lost. */
class LeaderKillIT {
  static final Duration START = Duration.ofSeconds(60);

  record Ack(long version, String value) {}

  @TempDir
  Path dir;

  @Test
  void writesContinueAfterLeaderKillAndEveryAckSurvives() throws Exception {
    try (KvNodeCluster cluster = KvNodeCluster.builder(KvNodeMain.class.getName(), dir)
        .group("g1", RaftGroupId.valueOf(GroupIds.uuidOf("g1"))).start(START);
         ShardGroupClient client = ShardGroupClient.builder("g1", PeerAddress.parseList(cluster.peersSpec())).tls(TestTls.cluster().raftTls())
             .operationTimeout(Duration.ofSeconds(15)).build()) {
      String leader = cluster.awaitLeader("g1", START);
      Map<String, Ack> acked = new ConcurrentHashMap<>();
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger acks = new AtomicInteger();
      AtomicInteger failures = new AtomicInteger();
      AtomicLong killedAtNanos = new AtomicLong();
      AtomicLong firstAckAfterKillNanos = new AtomicLong();
      AtomicInteger acksAfterKill = new AtomicInteger();
      List<Thread> writers = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        int writer = w;
        writers.add(Thread.ofPlatform().name("writer-" + w).start(() -> {
          for (int i = 0; running.get(); i++) {
            String key = "w" + writer + "-k" + (i % 25);
            String value = "w" + writer + "-" + i;
            try {
              Reply.Written r = client.put(key, value.getBytes(StandardCharsets.UTF_8));
              acked.put(key, new Ack(r.version(), value)); // this thread is the key's only writer: in order
              acks.incrementAndGet();
              if (killedAtNanos.get() != 0) {
                firstAckAfterKillNanos.compareAndSet(0, System.nanoTime());
                acksAfterKill.incrementAndGet();
              }
            } catch (KvException e) {
              // Not acknowledged: allowed during the election, and it may or may not have been applied.
              failures.incrementAndGet();
            }
          }
        }));
      }
      Poll.until("some writes before the kill", Duration.ofSeconds(30), () -> acks.get() >= 100);
      killedAtNanos.set(System.nanoTime());
      cluster.kill9(leader);
      Poll.until("writes acknowledged after the kill", Duration.ofSeconds(30), () -> acksAfterKill.get() >= 100);
      running.set(false);
      for (Thread t : writers) {
        t.join(Duration.ofSeconds(30));
      }
      long unavailableMs = (firstAckAfterKillNanos.get() - killedAtNanos.get()) / 1_000_000;
      System.out.printf("leader-kill: %d acks (%d after the kill), %d failed attempts, first ack %d ms after kill%n",
          acks.get(), acksAfterKill.get(), failures.get(), unavailableMs);
      assertThat(cluster.awaitLeader("g1", START)).isNotEqualTo(leader);

      // The killed node comes back and catches up; then every acknowledged write is there.
      cluster.restart(leader, START);
      List<String> keys = new ArrayList<>(acked.keySet());
      List<Entry> found = client.batchGet(keys);
      for (int i = 0; i < keys.size(); i++) {
        Ack ack = acked.get(keys.get(i));
        Entry e = found.get(i);
        assertThat(e).as(keys.get(i)).isNotNull();
        // Either exactly the acknowledged write, or a later (unacknowledged but applied) write of the same key.
        assertThat(e.version()).as(keys.get(i)).isGreaterThanOrEqualTo(ack.version());
        if (e.version() == ack.version()) {
          assertThat(new String(e.value(), StandardCharsets.UTF_8)).as(keys.get(i)).isEqualTo(ack.value());
        }
      }
      // The restarted replica converges to the same state (stale reads served by it alone).
      try (ShardGroupClient onlyRestarted = ShardGroupClient.connect("g1", PeerAddress.parseList(cluster.peersSpec())
          .stream().filter(p -> p.id().equals(leader)).toList(), TestTls.cluster().raftTls())) {
        for (int i = 0; i < keys.size(); i++) {
          String key = keys.get(i);
          long version = found.get(i).version();
          Poll.until(leader + " has " + key + "@" + version, Duration.ofSeconds(30),
              () -> onlyRestarted.get(key, true).map(Entry::version).orElse(0L) >= version);
        }
      }
    }
  }
}
