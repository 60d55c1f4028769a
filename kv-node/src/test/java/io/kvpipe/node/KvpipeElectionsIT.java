package io.kvpipe.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.node.shard.ShardSettings;
import io.kvpipe.node.shard.ShardStateMachine;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.ratis.RatisCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.impl.KvpipeElections;
import org.apache.ratis.server.impl.KvpipeElections.Start;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link KvpipeElections#startElection} answers on a real 3-replica group: the reason it holds an election back
 * is what the dead-leader watch logs when a failover waits, so each reason must be the true one.
 */
class KvpipeElectionsIT {
  @TempDir
  Path dir;

  @Test
  void saysWhyItHoldsAnElectionBackAndStartsOneWhenNothingDoes() throws Exception {
    RaftGroupId gid = RaftGroupId.valueOf(GroupIds.uuidOf("g1"));
    int maxValue = 4096;
    try (RatisCluster cluster = RatisCluster.builder(dir).peers(3)
        .properties(p -> RaftTuning.apply(p, 20_000, 1 << 20, maxValue))
        .stateMachines((peer, g) -> new ShardStateMachine("g1", new ShardSettings(maxValue, false, 10_000, 10 << 20)))
        .group(gid).start()) {
      String leader = cluster.awaitLeader(gid, Duration.ofSeconds(30));
      String follower = cluster.peerIds().stream().filter(p -> !p.equals(leader)).findFirst().orElseThrow();
      RaftServer.Division leaderDivision = cluster.server(leader).getDivision(gid);
      RaftServer.Division followerDivision = cluster.server(follower).getDivision(gid);
      long term = leaderDivision.getInfo().getCurrentTerm();

      assertThat(KvpipeElections.startElection(leaderDivision, 0)).isEqualTo(Start.NOT_FOLLOWER);
      // The leader heartbeats every half minimum election timeout: never a minute's silence.
      assertThat(KvpipeElections.startElection(followerDivision, 60_000)).isEqualTo(Start.HEARD_RECENTLY);

      // With no silence asked for, only a heartbeat being written can hold it back, for a moment.
      Poll.until("the follower stands", Duration.ofSeconds(10), Duration.ofMillis(1), () -> {
        Start start = KvpipeElections.startElection(followerDivision, 0);
        assertThat(start).isIn(Start.STARTED, Start.APPEND_IN_PROGRESS);
        return start == Start.STARTED;
      });
      Poll.until("a leader at a later term", Duration.ofSeconds(30), Duration.ofMillis(10), () -> {
        try {
          return cluster.leader(gid).isPresent()
              && cluster.server(cluster.leader(gid).get()).getDivision(gid).getInfo().getCurrentTerm() > term;
        } catch (IOException e) {
          throw new UncheckedIOException(e); // the division is being replaced: asked again
        }
      });
    }
  }
}
