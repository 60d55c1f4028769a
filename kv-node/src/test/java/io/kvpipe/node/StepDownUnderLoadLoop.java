package io.kvpipe.node;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import io.kvpipe.client.GroupCommit;
import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.node.shard.ShardSettings;
import io.kvpipe.node.shard.ShardStateMachine;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.logs.LogCapture;
import io.kvpipe.testsupport.ratis.RatisCluster;
import io.kvpipe.testsupport.tls.TestTls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.impl.KvpipeElections;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stress loop, not part of the suite (its name matches neither Surefire's nor Failsafe's patterns): run it with
 * {@code mvn -o verify -pl kv-node -am -Dit.test=StepDownUnderLoadLoop -Dtest=none -Dloop.seconds=420
 * -Dsurefire.failIfNoSpecifiedTests=false} (docs/operations.md, "Ratis defects ..."). A 3-replica in-process group
 * under a flood of ungrouped writes (many requests pending on the leader) while a follower is made to start an election every few hundred ms (skipping pre-vote, so
 * the leader sees a higher term and steps down while it applies its own entries). Looks for Ratis 3.3.0's
 * "available = -N < 0" at apply and for writes that never complete. Duration: -Dloop.seconds (default 60).
 */
class StepDownUnderLoadLoop {
  @TempDir
  Path dir;

  @Test
  void stepDownsWhileApplying() throws Exception {
    int seconds = Integer.getInteger("loop.seconds", 60);
    RaftGroupId gid = RaftGroupId.valueOf(GroupIds.uuidOf("g1"));
    int maxValue = 4096;
    try (LogCapture ratis = LogCapture.of("org.apache.ratis", "WARN");
         RatisCluster cluster = RatisCluster.builder(dir).peers(3)
             .properties(p -> RaftTuning.apply(p, 20_000, 1 << 20, maxValue))
             .stateMachines((peer, g) -> new ShardStateMachine("g1", new ShardSettings(maxValue, false, 10_000,
                 10 << 20)))
             .group(gid).start()) {
      cluster.awaitLeader(gid, Duration.ofSeconds(30));
      List<PeerAddress> peers = cluster.peers().stream()
          .map(p -> PeerAddress.parse(p.getId() + "@" + p.getAddress())).toList();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong acked = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      Map<String, Long> failures = new ConcurrentHashMap<>();
      Map<Long, Long> inFlight = new ConcurrentHashMap<>(); // op id -> start nanos
      AtomicLong ids = new AtomicLong();
      List<ShardGroupClient> clients = new ArrayList<>();
      List<Thread> writers = new ArrayList<>();
      for (int c = 0; c < 6; c++) {
        ShardGroupClient client = ShardGroupClient.builder("g1", peers).tls(TestTls.cluster().raftTls())
            .operationTimeout(Duration.ofSeconds(30)).groupCommit(GroupCommit.OFF).build();
        clients.add(client);
        for (int w = 0; w < 24; w++) {
          int cw = c * 100 + w;
          writers.add(Thread.ofVirtual().start(() -> {
            for (int i = 0; !stop.get(); i++) {
              long id = ids.incrementAndGet();
              inFlight.put(id, System.nanoTime());
              try {
                client.put("k-" + cw + "-" + (i % 50), ("v" + i).getBytes(StandardCharsets.UTF_8));
                acked.incrementAndGet();
              } catch (RuntimeException e) {
                failed.incrementAndGet();
                failures.merge(String.valueOf(e.getMessage()).replaceAll("[0-9]+", "#"), 1L, Long::sum);
              } finally {
                inFlight.remove(id);
              }
            }
          }));
        }
      }
      long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
      int elections = 0;
      int refused = 0;
      long maxStuckMs = 0;
      while (System.nanoTime() < end) {
        // Let writes flow again first (many requests pending on the new leader), then a random short wait.
        long flowing = acked.get() + 300;
        Poll.until("300 more writes acknowledged after the last election", Duration.ofSeconds(10),
            Duration.ofMillis(5), () -> acked.get() >= flowing);
        Thread.sleep(ThreadLocalRandom.current().nextInt(100)); // jitter: where in the write stream the next one lands
        Optional<String> leader = cluster.leader(gid);
        if (leader.isEmpty()) {
          continue;
        }
        List<String> followers = cluster.peerIds().stream().filter(p -> !p.equals(leader.get())).toList();
        String f = followers.get(ThreadLocalRandom.current().nextInt(followers.size()));
        RaftServer.Division d = cluster.server(f).getDivision(gid);
        // A heartbeat being written holds it back for a moment; one still refused after 100 ms is counted.
        if (Poll.within(Duration.ofMillis(100), Duration.ofMillis(1),
            () -> KvpipeElections.startElection(d, 0) == KvpipeElections.Start.STARTED)) {
          elections++;
        } else {
          refused++;
        }
        long now = System.nanoTime();
        for (long s : inFlight.values()) {
          maxStuckMs = Math.max(maxStuckMs, (now - s) / 1_000_000);
        }
      }
      stop.set(true);
      for (Thread w : writers) {
        w.join(60_000);
      }
      List<ILoggingEvent> negative = ratis.events(e -> String.valueOf(e.getThrowableProxy() == null ? ""
          : e.getThrowableProxy().getMessage()).contains("< 0") || e.getFormattedMessage().contains("< 0"));
      List<ILoggingEvent> errors = ratis.events(e -> e.getLevel().toString().equals("ERROR")
          && e.getLoggerName().startsWith("org.apache.ratis.server"));
      System.out.printf("LOOP RESULT: %d s, %d forced elections (%d refused), %d acked, %d failed %s, max op age"
              + " seen %d ms, still in flight %d, ratis errors %d, 'available < 0' %d%n", seconds, elections, refused,
          acked.get(), failed.get(), failures, maxStuckMs, inFlight.size(), errors.size(), negative.size());
      for (ILoggingEvent e : errors.subList(0, Math.min(errors.size(), 10))) {
        System.out.println("LOOP ERROR: " + e.getLoggerName() + " " + e.getFormattedMessage() + " "
            + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getClassName() + ": "
            + e.getThrowableProxy().getMessage()));
      }
      clients.forEach(ShardGroupClient::close);
      assertThat(negative).as("Ratis's pending-request limits went negative").isEmpty();
      assertThat(inFlight).as("writes that never completed").isEmpty();
    }
  }
}
