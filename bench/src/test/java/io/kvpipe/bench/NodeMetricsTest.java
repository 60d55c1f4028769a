package io.kvpipe.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** A phase's mean time per write-path stage, from two readings of a kv-node's timers. */
class NodeMetricsTest {
  private static String exposition(double syncCount, double syncSum, double writeCount, double writeSum) {
    return """
        kvpipe_raft_log_flushes_total{group="g1"} %1$s
        kvpipe_raft_log_sync_seconds_count{group="g1"} %1$s
        kvpipe_raft_log_sync_seconds_sum{group="g1"} %2$s
        kvpipe_raft_log_sync_seconds_max{group="g1"} 0.5
        kvpipe_raft_client_write_seconds_count{group="g1"} %3$s
        kvpipe_raft_client_write_seconds_sum{group="g1"} %4$s
        kvpipe_raft_log_sync_seconds_count{group="meta"} 999.0
        kvpipe_raft_log_sync_seconds_sum{group="meta"} 999.0
        """.formatted(syncCount, syncSum, writeCount, writeSum);
  }

  @Test
  void stageMeansComeFromTheDifferenceOfTwoReadingsOfTheGroup() {
    NodeMetrics.Reading before = NodeMetrics.parse(exposition(10, 0.010, 4, 0.008), "g1");
    NodeMetrics.Reading after = NodeMetrics.parse(exposition(30, 0.014, 6, 0.011), "g1");

    var means = after.minus(before).stageMeanMs();

    assertThat(means.keySet()).containsExactly("client_write", "log_sync");
    assertThat(means.get("log_sync")).isCloseTo(0.2, within(1e-9));
    assertThat(means.get("client_write")).isCloseTo(1.5, within(1e-9));
  }

  @Test
  void aStageWithoutEventsInThePhaseHasNoMean() {
    NodeMetrics.Reading same = NodeMetrics.parse(exposition(10, 0.010, 4, 0.008), "g1");

    assertThat(same.minus(same).stageMeanMs()).isEmpty();
    assertThat(NodeMetrics.Reading.UNREACHABLE.stageMeanMs()).isEmpty();
  }

  @Test
  void termAndLeadershipAreTheGroupsOwn() {
    String text = exposition(10, 0.010, 4, 0.008) + """
        kvpipe_raft_term{group="g1"} 7.0
        kvpipe_shard_leader{group="g1"} 1.0
        kvpipe_raft_term{group="meta"} 3.0
        kvpipe_shard_leader{group="meta"} 0.0
        """;

    NodeMetrics.Reading g1 = NodeMetrics.parse(text, "g1");
    NodeMetrics.Reading meta = NodeMetrics.parse(text, "meta");

    assertThat(g1.term()).isEqualTo(7.0);
    assertThat(g1.leader()).isTrue();
    assertThat(meta.term()).isEqualTo(3.0);
    assertThat(meta.leader()).isFalse();
    assertThat(NodeMetrics.parse(exposition(1, 1, 1, 1), "g1").term()).isNaN();
    assertThat(NodeMetrics.Reading.UNREACHABLE.leader()).isFalse();
  }
}
