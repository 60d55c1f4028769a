package io.kvpipe.bench;

import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.bench.JsonReport;
import io.kvpipe.testsupport.bench.ProcessCpu;
import io.kvpipe.testsupport.ratis.KvNodeCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a load phase cost the kv-node processes of one group: CPU per process (from /proc), and from each node's
 * /metrics the Raft log flushes (fsyncs) and entries written, hence entries per fsync, plus elections, and the share of
 * a core the node's JIT compiler threads used ({@link JitCpu}; a node still compiling is not warm yet; the JVM's own
 * compile time, wall-clock and inflated on a busy box, beside it), and the mean time of each write-path
 * stage timer (where a write's time goes). Read before and after the phase ({@link #snapshot}, {@link #since}); the cluster must be built with metrics ports.
 */
final class NodeProbe {
  private static final Duration LEADER_WAIT = Duration.ofSeconds(30);

  private final KvNodeCluster cluster;
  private final String group;

  NodeProbe(KvNodeCluster cluster, String group) {
    this.cluster = cluster;
    this.group = group;
  }

  /** The state of every node at one instant. */
  record Snapshot(ProcessCpu.Sample cpu, Map<String, JitCpu.Reading> jit, Map<String, NodeMetrics.Reading> metrics,
                  String leader, long term) {}

  /**
   * Every node's readings, taken again (up to {@link #LEADER_WAIT}) until one node reports that it leads. Leader and
   * term come from the nodes' own /metrics: asking the group over Raft's admin RPC at each phase boundary set off a
   * burst of deoptimisations on the leader inside the measured phase.
   */
  Snapshot snapshot() {
    return Poll.forValue("a leader of " + group + " in the nodes' /metrics", LEADER_WAIT, this::readAll);
  }

  /** One reading of every node, or null while no node reports that it leads. */
  private Snapshot readAll() {
    Map<String, Long> pids = new LinkedHashMap<>();
    Map<String, NodeMetrics.Reading> metrics = new LinkedHashMap<>();
    Map<String, JitCpu.Reading> jit = new LinkedHashMap<>();
    String leader = null;
    double term = Double.NaN;
    for (String id : cluster.nodeIds()) {
      if (cluster.process(id).isAlive()) {
        pids.put(id, cluster.process(id).pid());
        jit.put(id, JitCpu.read(cluster.process(id).pid()));
      }
      NodeMetrics.Reading r = NodeMetrics.read(cluster.metricsPort(id), group);
      metrics.put(id, r);
      if (r.leader() && (leader == null || r.term() > term)) { // a deposed leader may not know it yet
        leader = id;
        term = r.term();
      }
    }
    if (leader == null || Double.isNaN(term)) {
      return null;
    }
    return new Snapshot(ProcessCpu.Sample.of(pids), jit, metrics, leader, (long) term);
  }

  /** The phase's figures from {@code before} to now; {@code ops} = operations the phase completed. */
  Result since(Snapshot before, long ops) {
    Snapshot now = snapshot();
    Map<String, Object> cpu = now.cpu().since(before.cpu());
    double wallMs = (now.cpu().nanos() - before.cpu().nanos()) / 1e6;
    Map<String, Object> nodes = new LinkedHashMap<>();
    List<String> summary = new ArrayList<>();
    List<String> stages = new ArrayList<>();
    double elections = 0;
    double leaderEntries = Double.NaN;
    for (String id : cluster.nodeIds()) {
      NodeMetrics.Reading d = now.metrics().get(id).minus(before.metrics().get(id));
      String role = id.equals(before.leader()) ? "leader" : "follower";
      JitCpu.Reading jitBefore = before.jit().get(id);
      JitCpu.Reading jitNow = now.jit().get(id);
      double jitCpuMs = jitBefore == null || jitNow == null ? Double.NaN : 1000 * jitNow.secondsSince(jitBefore);
      nodes.put(id, JsonReport.map("role_at_start", role, "cpu", cpu.get(id), "log_flushes", num(d.flushes()),
          "log_entries", num(d.entries()), "entries_per_fsync", num(ProcessCpu.round(2, d.entriesPerFlush())),
          "elections_run", num(d.elections()), "jit_cpu_ms", num(jitCpuMs),
          "jit_core_pct", num(ProcessCpu.round(1, 100 * jitCpuMs / wallMs)), "jit_compile_wall_ms", num(d.jitMs()),
          "jit_compile_wall_pct", num(ProcessCpu.round(1, 100 * d.jitMs() / wallMs)), "stage_mean_ms", stageMeans(d)));
      if (!Double.isNaN(d.elections())) {
        elections += d.elections();
      }
      if (role.equals("leader")) {
        leaderEntries = d.entries();
      }
      summary.add(String.format("%s%s %s%% CPU (JIT %s%%, compile wall time %s%%), %s entries/fsync", id,
          role.equals("leader") ? "*" : "", cpu.get(id) instanceof Map<?, ?> m ? m.get("core_pct") : "?",
          text(100 * jitCpuMs / wallMs), text(100 * d.jitMs() / wallMs), text(d.entriesPerFlush())));
      stages.add(String.format("%s%s %s", id, role.equals("leader") ? "*" : "", stageMeans(d)));
    }
    double opsPerEntry = leaderEntries > 0 ? ops / leaderEntries : Double.NaN;
    long termChange = now.term() - before.term();
    Map<String, Object> map = JsonReport.map("nodes", nodes, "cpu_total", cpu.get("total"),
        "ops_per_leader_log_entry", num(ProcessCpu.round(2, opsPerEntry)), "term_change", termChange,
        "elections_run", elections, "leader_changed", !now.leader().equals(before.leader()));
    String line = String.format("    %s; total %s%% CPU; %s ops per leader log entry; term +%d, %d elections run%n"
        + "    mean ms per stage: %s", String.join("; ", summary), cpu.get("total") instanceof Map<?, ?> m
        ? m.get("core_pct") : "?", text(opsPerEntry), termChange, (long) elections, String.join("; ", stages));
    return new Result(map, line, termChange, (long) elections);
  }

  /** The figures as JSON, a one-line summary, and the election counts. */
  record Result(Map<String, Object> figures, String summary, long termChange, long electionsRun) {}

  /** The phase's mean milliseconds per stage (NodeMetrics.STAGES), rounded to 3 decimals. */
  private static Map<String, Object> stageMeans(NodeMetrics.Reading d) {
    Map<String, Object> m = new LinkedHashMap<>();
    d.stageMeanMs().forEach((stage, ms) -> m.put(stage, ProcessCpu.round(3, ms)));
    return m;
  }

  private static String text(double d) {
    return Double.isNaN(d) ? "-" : String.format("%.2f", d);
  }

  private static Object num(double d) {
    return Double.isNaN(d) ? null : d;
  }
}
