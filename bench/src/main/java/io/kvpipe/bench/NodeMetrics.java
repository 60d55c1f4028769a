package io.kvpipe.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one group's Raft counters from a kv-node's Prometheus {@code /metrics} (kv-node's RatisMetricsBridge and
 * kv-node/README): log flushes (fsyncs), log entries written, elections run, and the replica's term and whether it
 * leads (so a phase boundary learns the leader and term without asking the group over Raft). Differences between two readings of the
 * same process give a phase's entries per fsync (and, with the phase's own operation count, operations per entry); and
 * the JVM's JIT compilation time ({@code jvm_compilation_time_ms_total}), which says whether the node still warms up;
 * and the count and total time of the write path's stage timers ({@link #STAGES}), whose differences give a phase's
 * mean time per stage on each node (where a write's time goes: docs/operations.md "Metrics").
 */
final class NodeMetrics {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final Pattern LINE = Pattern.compile("(?m)^(kvpipe_\\w+)\\{([^}]*)\\} (\\S+)$");

  /**
   * The write path's timers (kv-node's RatisMetricsBridge and ShardStateMachine), by the short name the bench reports:
   * the leader's submit-to-reply, one log flush and its fsync, one follower appendEntries (receipt to reply, its log
   * write and fsync included), one entry applied.
   */
  static final Map<String, String> STAGES = stages();

  private static Map<String, String> stages() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("client_write", "kvpipe_raft_client_write_seconds");
    m.put("log_flush", "kvpipe_raft_log_flush_seconds");
    m.put("log_sync", "kvpipe_raft_log_sync_seconds");
    m.put("follower_append_entries", "kvpipe_raft_follower_append_entries_seconds");
    m.put("apply", "kvpipe_raft_apply_seconds");
    return m;
  }

  private NodeMetrics() {}

  /**
   * One node's counters for one group; NaN for a counter the node did not show. {@code stageCounts} and
   * {@code stageSeconds} hold each {@link #STAGES} timer's count and total time (absent: not shown).
   */
  record Reading(double flushes, double entries, double elections, double jitMs, Map<String, Double> stageCounts,
                 Map<String, Double> stageSeconds, double term, boolean leader) {
    static final Reading UNREACHABLE = new Reading(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Map.of(), Map.of(),
        Double.NaN, false);

    /** The counters' and timers' differences; the term and role are this (the later) reading's. */
    Reading minus(Reading before) {
      return new Reading(flushes - before.flushes, entries - before.entries, elections - before.elections,
          jitMs - before.jitMs, difference(stageCounts, before.stageCounts),
          difference(stageSeconds, before.stageSeconds), term, leader);
    }

    double entriesPerFlush() {
      return flushes > 0 ? entries / flushes : Double.NaN;
    }

    /** Mean milliseconds per event of each stage that saw events (of a difference between two readings). */
    Map<String, Double> stageMeanMs() {
      Map<String, Double> m = new LinkedHashMap<>();
      for (String stage : STAGES.keySet()) {
        double n = stageCounts.getOrDefault(stage, 0.0);
        if (n > 0) {
          m.put(stage, 1000 * stageSeconds.get(stage) / n);
        }
      }
      return m;
    }

    private static Map<String, Double> difference(Map<String, Double> now, Map<String, Double> before) {
      Map<String, Double> d = new LinkedHashMap<>();
      now.forEach((k, v) -> {
        if (before.containsKey(k)) {
          d.put(k, v - before.get(k));
        }
      });
      return d;
    }
  }

  /** The node's counters for {@code group}, or {@link Reading#UNREACHABLE} if the node does not answer (killed). */
  static Reading read(int metricsPort, String group) {
    String text;
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort
          + "/metrics")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return Reading.UNREACHABLE;
      }
      text = r.body();
    } catch (IOException down) {
      return Reading.UNREACHABLE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading metrics", e);
    }
    return parse(text, group);
  }

  /** The counters and stage timers for {@code group} in a Prometheus text exposition. */
  static Reading parse(String text, String group) {
    Map<String, Double> values = new LinkedHashMap<>();
    Matcher m = LINE.matcher(text);
    String label = "group=\"" + group + "\"";
    while (m.find()) {
      if (m.group(2).contains(label)) {
        values.put(m.group(1), Double.parseDouble(m.group(3)));
      }
    }
    Map<String, Double> counts = new LinkedHashMap<>();
    Map<String, Double> seconds = new LinkedHashMap<>();
    STAGES.forEach((stage, metric) -> {
      if (values.containsKey(metric + "_count") && values.containsKey(metric + "_sum")) {
        counts.put(stage, values.get(metric + "_count"));
        seconds.put(stage, values.get(metric + "_sum"));
      }
    });
    return new Reading(values.getOrDefault("kvpipe_raft_log_flushes_total", Double.NaN),
        values.getOrDefault("kvpipe_raft_log_entries_written_total", Double.NaN),
        values.getOrDefault("kvpipe_raft_elections_total", Double.NaN),
        JitWarmUp.compileMs(text), counts, seconds, values.getOrDefault("kvpipe_raft_term", Double.NaN),
        values.getOrDefault("kvpipe_shard_leader", 0.0) == 1.0);
  }
}
