package io.kvpipe.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.ratis.KvNodeCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a leader process: a follower finds its port refusing connections and starts the election itself (see
 * DeadLeaderWatch) instead of waiting for Ratis's election timer, and a new leader follows. Asserts the path was
 * taken (the follower's log line), not how fast: timing belongs to scripts/bench-node.sh (issue 18).
 */
class DeadLeaderWatchIT {
  static final Duration START = Duration.ofSeconds(60);
  static final String STARTED = "starting an election now";

  @TempDir
  Path dir;

  @Test
  void aFollowerStartsTheElectionWhenTheLeaderProcessIsGone() throws Exception {
    try (KvNodeCluster cluster = KvNodeCluster.builder(KvNodeMain.class.getName(), dir)
        .group("g1", RaftGroupId.valueOf(GroupIds.uuidOf("g1"))).start(START)) {
      String leader = cluster.awaitLeader("g1", START);
      // With every process alive, a silent moment (none while idle: heartbeats) never starts an election this way.
      for (String id : cluster.nodeIds()) {
        assertThat(log(cluster, id)).as(id).doesNotContain(STARTED);
      }
      cluster.kill9(leader);
      String next = Poll.forValue("a new leader", START,
          () -> cluster.leader("g1").filter(l -> !l.equals(leader)).orElse(null));
      Poll.until("a follower's log says it started the election on the refused connection", START,
          () -> cluster.nodeIds().stream().filter(id -> !id.equals(leader))
              .anyMatch(id -> log(cluster, id).contains("leader " + leader + " refuses connections")));
      assertThat(next).isNotEqualTo(leader);
    }
  }

  private static String log(KvNodeCluster cluster, String id) {
    try {
      Path f = cluster.process(id).logFile();
      return f == null || !Files.exists(f) ? "" : Files.readString(f);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
