package io.kvpipe.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.node.shard.ShardSettings;
import io.kvpipe.node.shard.ShardStateMachine;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.ratis.RatisCluster;
import io.kvpipe.testsupport.tls.TestTls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.util.CodeInjectionForTesting;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new group whose first leaders could not reach anyone: each kept its own, never committed first entry (its
 * configuration entry at index 0). Once the replicas hear each other again, the replicas whose entry 0 lost must take
 * the final leader's entry 0 and catch up. Seen at a loaded cluster start: a follower whose stale entry 0 was committed
 * by a heartbeat sent from index 0 (no previous entry) refused the leader's entry 0 from then on, answering
 * INCONSISTENCY for good, so the group ran on two replicas.
 *
 * <p>How: Ratis's test hook on AppendEntries drops every append until two replicas have led with their own entry 0;
 * then, so that the catch-up goes the way that went wrong, such a replica drops appends carrying entries from index 0
 * until it has received two heartbeats without a previous entry (the leader sends one every heartbeat interval while
 * it has nothing matched there) from a leader that has committed its own entry 0 with the third replica.
 */
class StaleFirstEntryIT {
  private static final RaftGroupId GROUP = RaftGroupId.valueOf(GroupIds.uuidOf("g1"));
  private static final String APPEND_ENTRIES = "RaftServerImpl.appendEntries";

  @TempDir
  Path dir;

  @AfterEach
  void removeHook() {
    CodeInjectionForTesting.remove(APPEND_ENTRIES);
  }

  @Test
  void replicasWhoseFirstEntryLostCatchUpWithTheLeader() throws Exception {
    AtomicBoolean dropAll = new AtomicBoolean(true);
    Set<String> stale = ConcurrentHashMap.newKeySet();
    Map<String, Integer> committedHeartbeats = new ConcurrentHashMap<>();
    AtomicReference<RatisCluster> running = new AtomicReference<>();
    CodeInjectionForTesting.put(APPEND_ENTRIES, (local, leader, args) -> {
      if (dropAll.get()) {
        throw new IllegalStateException("test: append dropped (replicas cut off)");
      }
      AppendEntriesRequestProto r = (AppendEntriesRequestProto) args[1];
      String me = local.toString();
      if (r.hasPreviousLog() || !stale.contains(me)) {
        return true;
      }
      if (r.getEntriesCount() == 0) {
        if (division(running.get(), leader.toString()).getRaftLog().getLastCommittedIndex() >= 0) {
          committedHeartbeats.merge(me, 1, Integer::sum);
        }
      } else if (committedHeartbeats.getOrDefault(me, 0) < 2) {
        throw new IllegalStateException("test: append from index 0 dropped until heartbeats from there came");
      }
      return true;
    });
    int maxValue = 4096;
    try (RatisCluster cluster = RatisCluster.builder(dir).peers(3)
        .properties(p -> RaftTuning.apply(p, 100_000, 1 << 20, maxValue))
        .parameters(p -> KvNode.raftParameters(TestTls.cluster().raftTls(), true))
        .stateMachines((peer, g) -> new ShardStateMachine("g1", new ShardSettings(maxValue, false, 10_000, 10 << 20)))
        .group(GROUP).start()) {
      running.set(cluster);
      Poll.until("two replicas that led, each with its own entry 0", Duration.ofSeconds(60), Duration.ofMillis(20),
          () -> firstEntries(cluster).values().stream().map(TermIndex::getTerm).distinct().count() >= 2);
      stale.addAll(firstEntries(cluster).keySet());
      dropAll.set(false);

      String leader = Poll.forValue("a leader that commits", Duration.ofSeconds(60), () -> cluster.leader(GROUP)
          .filter(l -> division(cluster, l).getRaftLog().getLastCommittedIndex() >= 0).orElse(null));
      long committed = division(cluster, leader).getRaftLog().getLastCommittedIndex();
      try {
        Poll.until("every replica has the leader's entry 0 and applied up to its commit " + committed,
            Duration.ofSeconds(30), Duration.ofMillis(50), () -> {
              Map<String, TermIndex> first = firstEntries(cluster);
              TermIndex leaders = division(cluster, leader).getRaftLog().getTermIndex(RaftLog.LEAST_VALID_LOG_INDEX);
              return first.size() == 3 && first.values().stream().allMatch(leaders::equals)
                  && cluster.peerIds().stream().allMatch(p -> division(cluster, p).getInfo().getLastAppliedIndex()
                  >= committed);
            });
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + "; replicas (entry 0, commit, applied): " + describe(cluster), e);
      }
      assertThat(firstEntries(cluster)).hasSize(3);
    }
  }

  private static String describe(RatisCluster cluster) {
    StringBuilder b = new StringBuilder();
    for (String p : cluster.peerIds()) {
      RaftServer.Division d = division(cluster, p);
      b.append(p).append(d.getInfo().isLeader() ? " (leader)" : "").append(' ')
          .append(d.getRaftLog().getTermIndex(RaftLog.LEAST_VALID_LOG_INDEX)).append(", ")
          .append(d.getRaftLog().getLastCommittedIndex()).append(", ").append(d.getInfo().getLastAppliedIndex())
          .append("; ");
    }
    return b.toString();
  }

  /** Each replica's flushed entry 0, by peer (replicas with none left out). */
  private static Map<String, TermIndex> firstEntries(RatisCluster cluster) {
    Map<String, TermIndex> out = new HashMap<>();
    for (String p : cluster.peerIds()) {
      RaftLog log = division(cluster, p).getRaftLog();
      TermIndex first = log.getTermIndex(RaftLog.LEAST_VALID_LOG_INDEX);
      if (first != null && log.getFlushIndex() >= RaftLog.LEAST_VALID_LOG_INDEX) {
        out.put(p, first);
      }
    }
    return out;
  }

  private static RaftServer.Division division(RatisCluster cluster, String peer) {
    try {
      return cluster.server(peer).getDivision(GROUP);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
