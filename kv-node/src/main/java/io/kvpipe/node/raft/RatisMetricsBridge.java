package io.kvpipe.node.raft;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetrics;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.metrics.LeaderElectionMetrics;
import org.apache.ratis.server.metrics.RaftLogMetricsBase;
import org.apache.ratis.server.metrics.RaftServerMetricsImpl;
import org.apache.ratis.server.metrics.SegmentedRaftLogMetrics;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.impl.RatisMetricRegistryImpl;
import org.apache.ratis.thirdparty.com.codahale.metrics.MetricRegistry;

/**
 * Ratis counts each replica's log flushes, log entries written and elections in its own metric registries
 * (ratis-metrics-default), which the node's Micrometer registry and so its {@code /metrics} never showed. These
 * counters read them by group, so entries per fsync (how well writes are batched) and elections (spurious ones on a
 * loaded box) can be watched: {@code kvpipe_raft_log_flushes_total}, {@code kvpipe_raft_log_entries_written_total},
 * {@code kvpipe_raft_elections_total}; and the gauge {@code kvpipe_raft_term} (the replica's current term). Ratis creates its registries when the replica starts and drops them when it
 * closes; until then a counter reads 0.
 *
 * <p>Ratis's timers (Dropwizard timers: a count and a decaying sample, no sum, no buckets) are bridged into Micrometer
 * timers with the shared buckets: {@link #install()} hooks the creation of every Ratis metric registry and puts in
 * place, before Ratis asks for them, timers that also record each duration into the Micrometer timer {@link #bind}
 * made for that replica: {@code kvpipe_raft_log_flush_seconds} (one log flush), {@code kvpipe_raft_log_sync_seconds}
 * (its fsync), {@code kvpipe_raft_log_append_entry_seconds} (appending an entry to the log),
 * {@code kvpipe_raft_follower_append_entries_seconds} (a follower handling an appendEntries),
 * {@code kvpipe_raft_client_write_seconds} (the leader serving a client write, submit to reply), each by group.
 * kvpipe's own {@code kvpipe_raft_apply_seconds} (ShardStateMachine) times the state machine's apply.
 */
public final class RatisMetricsBridge {
  private RatisMetricsBridge() {}

  /** Ratis timers bridged: (registry component, Ratis timer name, Micrometer name, description). */
  private record Bridged(String component, String ratisName, String name, String description) {}

  private static final java.util.List<Bridged> TIMERS = java.util.List.of(
      new Bridged(RaftLogMetricsBase.RATIS_LOG_WORKER_METRICS, SegmentedRaftLogMetrics.RAFT_LOG_FLUSH_TIME,
          "kvpipe.raft.log.flush", "one flush of this replica's Raft log"),
      new Bridged(RaftLogMetricsBase.RATIS_LOG_WORKER_METRICS, SegmentedRaftLogMetrics.RAFT_LOG_SYNC_TIME,
          "kvpipe.raft.log.sync", "one fsync of this replica's Raft log"),
      new Bridged(RaftLogMetricsBase.RATIS_LOG_WORKER_METRICS, SegmentedRaftLogMetrics.RAFT_LOG_APPEND_ENTRY_LATENCY,
          "kvpipe.raft.log.append.entry", "appending one entry to this replica's Raft log"),
      new Bridged(RaftServerMetricsImpl.RATIS_SERVER_METRICS, RaftServerMetricsImpl.FOLLOWER_APPEND_ENTRIES_LATENCY,
          "kvpipe.raft.follower.append.entries", "a follower handling one appendEntries from its leader"),
      new Bridged(RaftServerMetricsImpl.RATIS_SERVER_METRICS, RaftServerMetricsImpl.RAFT_CLIENT_WRITE_REQUEST,
          "kvpipe.raft.client.write", "the leader serving one client write, submit to reply"));

  /** Micrometer timers by (Ratis registry prefix = member id, component, Ratis timer name). */
  private static final Map<String, Timer> SINKS = new ConcurrentHashMap<>();
  private static final AtomicBoolean INSTALLED = new AtomicBoolean();

  private static String key(String member, String component, String ratisName) {
    return member + "|" + component + "|" + ratisName;
  }

  /**
   * Hooks Ratis's metric registries (once per JVM; before the Raft server starts, so every registry is seen as it is
   * created). Also replaces Ratis's default JMX reporting, which nothing here reads.
   */
  public static void install() {
    if (!INSTALLED.compareAndSet(false, true)) {
      return;
    }
    MetricRegistries.global().addReporterRegistration(RatisMetricsBridge::created, r -> { });
  }

  private static void created(RatisMetricRegistry r) {
    if (!(r instanceof RatisMetricRegistryImpl impl)) {
      return;
    }
    MetricRegistryInfo info = r.getMetricRegistryInfo();
    MetricRegistry dropwizard = impl.getDropWizardMetricRegistry();
    // RatisMetricRegistryImpl names a metric <application>.<component>.<prefix>.<name>.
    String base = MetricRegistry.name(info.getApplicationName(), info.getMetricsComponentName(), info.getPrefix());
    for (Bridged b : TIMERS) {
      if (b.component().equals(info.getMetricsComponentName())) {
        String sink = key(info.getPrefix(), b.component(), b.ratisName());
        try {
          dropwizard.register(MetricRegistry.name(base, b.ratisName()), new Recording(sink));
        } catch (IllegalArgumentException exists) {
          // Ratis registered it first (a registry re-created for a replica restarted in this JVM): not bridged.
        }
      }
    }
  }

  /** A Ratis (Dropwizard) timer that also records each duration into the Micrometer timer bound to its key. */
  private static final class Recording extends org.apache.ratis.thirdparty.com.codahale.metrics.Timer {
    private final String sink;

    Recording(String sink) {
      this.sink = sink;
    }

    @Override
    public void update(long duration, TimeUnit unit) {
      super.update(duration, unit);
      Timer t = SINKS.get(sink);
      if (t != null) {
        t.record(duration, unit);
      }
    }

    @Override
    public void update(java.time.Duration duration) {
      update(duration.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  public static void bind(MeterRegistry registry, RaftServer server, String group, RaftGroupId gid) {
    String member = RaftGroupMemberId.valueOf(server.getId(), gid).toString();
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
    // Read from the replica itself, so a benchmark can tell elections between two scrapes without asking the group
    // over Raft's admin RPC (which, inside a measured phase, disturbed the leader it asked).
    Gauge.builder("kvpipe.raft.term", server, s -> currentTerm(s, gid)).tags(tags)
        .description("this replica's current Raft term (NaN once it no longer hosts the group)").register(registry);
    for (Bridged b : TIMERS) {
      SINKS.put(key(member, b.component(), b.ratisName()), Timer.builder(b.name()).tags(tags)
          .description(b.description()).register(registry));
    }
  }

  private static void counter(MeterRegistry registry, String name, MetricRegistryInfo info, String ratisCounter,
                              Tags tags, String description) {
    // Micrometer holds the state object weakly and freezes the value once it is collected: Ratis's global registry
    // set lives as long as the JVM, so it is the state object; the lambda (held strongly) names the counter.
    FunctionCounter.builder(name, MetricRegistries.global(), all -> count(all, info, ratisCounter)).tags(tags)
        .description(description).register(registry);
  }

  private static double currentTerm(RaftServer server, RaftGroupId gid) {
    try {
      return server.getDivision(gid).getInfo().getCurrentTerm();
    } catch (IOException notHostedAnyMore) {
      return Double.NaN;
    }
  }

  private static double count(MetricRegistries all, MetricRegistryInfo info, String counter) {
    return all.get(info).map(r -> (double) r.counter(counter).getCount()).orElse(0.0);
  }
}
