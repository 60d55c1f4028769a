package io.kvpipe.node.raft;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetrics;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.metrics.LeaderElectionMetrics;
import org.apache.ratis.server.metrics.RaftLogMetricsBase;
import org.apache.ratis.server.metrics.SegmentedRaftLogMetrics;

/**
 * Ratis counts each replica's log flushes, log entries written and elections in its own metric registries
 * (ratis-metrics-default), which the node's Micrometer registry and so its {@code /metrics} never showed. These
 * counters read them by group, so entries per fsync (how well writes are batched) and elections (spurious ones on a
 * loaded box) can be watched: {@code kvpipe_raft_log_flushes_total}, {@code kvpipe_raft_log_entries_written_total},
 * {@code kvpipe_raft_elections_total}. Ratis creates its registries when the replica starts and drops them when it
 * closes; until then a counter reads 0.
 */
public final class RatisMetricsBridge {
  private RatisMetricsBridge() {}

  public static void bind(MeterRegistry registry, RaftPeerId self, String group, RaftGroupId gid) {
    String member = RaftGroupMemberId.valueOf(self, gid).toString();
    MetricRegistryInfo log = new MetricRegistryInfo(member, RatisMetrics.RATIS_APPLICATION_NAME_METRICS,
        RaftLogMetricsBase.RATIS_LOG_WORKER_METRICS, RaftLogMetricsBase.RATIS_LOG_WORKER_METRICS_DESC);
    MetricRegistryInfo election = new MetricRegistryInfo(member, RatisMetrics.RATIS_APPLICATION_NAME_METRICS,
        LeaderElectionMetrics.RATIS_LEADER_ELECTION_METRICS, LeaderElectionMetrics.RATIS_LEADER_ELECTION_METRICS_DESC);
    Tags tags = Tags.of("group", group);
    counter(registry, "kvpipe.raft.log.flushes", log, SegmentedRaftLogMetrics.RAFT_LOG_FLUSH_COUNT, tags,
        "flushes (fsyncs) of this replica's Raft log");
    counter(registry, "kvpipe.raft.log.entries.written", log, SegmentedRaftLogMetrics.RAFT_LOG_APPEND_ENTRY_COUNT,
        tags, "entries this replica wrote to its Raft log");
    counter(registry, "kvpipe.raft.elections", election, LeaderElectionMetrics.LEADER_ELECTION_COUNT_METRIC, tags,
        "elections this replica ran as a candidate (pre-votes included), won or lost");
  }

  private static void counter(MeterRegistry registry, String name, MetricRegistryInfo info, String ratisCounter,
                              Tags tags, String description) {
    // Micrometer holds the state object weakly and freezes the value once it is collected: Ratis's global registry
    // set lives as long as the JVM, so it is the state object; the lambda (held strongly) names the counter.
    FunctionCounter.builder(name, MetricRegistries.global(), all -> count(all, info, ratisCounter)).tags(tags)
        .description(description).register(registry);
  }

  private static double count(MetricRegistries all, MetricRegistryInfo info, String counter) {
    return all.get(info).map(r -> (double) r.counter(counter).getCount()).orElse(0.0);
  }
}
