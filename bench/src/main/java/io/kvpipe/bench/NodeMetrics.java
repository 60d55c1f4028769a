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
 * kv-node/README): log flushes (fsyncs), log entries written, elections run. Differences between two readings of the
 * same process give a phase's entries per fsync (and, with the phase's own operation count, operations per entry); and
 * the JVM's JIT compilation time ({@code jvm_compilation_time_ms_total}), which says whether the node still warms up.
 */
final class NodeMetrics {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final Pattern LINE = Pattern.compile("(?m)^(kvpipe_\\w+)\\{([^}]*)\\} (\\S+)$");

  private NodeMetrics() {}

  /** One node's counters for one group; NaN for a counter the node did not show. */
  record Reading(double flushes, double entries, double elections, double jitMs) {
    static final Reading UNREACHABLE = new Reading(Double.NaN, Double.NaN, Double.NaN, Double.NaN);

    Reading minus(Reading before) {
      return new Reading(flushes - before.flushes, entries - before.entries, elections - before.elections,
          jitMs - before.jitMs);
    }

    double entriesPerFlush() {
      return flushes > 0 ? entries / flushes : Double.NaN;
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
    Map<String, Double> values = new LinkedHashMap<>();
    Matcher m = LINE.matcher(text);
    String label = "group=\"" + group + "\"";
    while (m.find()) {
      if (m.group(2).contains(label)) {
        values.put(m.group(1), Double.parseDouble(m.group(3)));
      }
    }
    return new Reading(values.getOrDefault("kvpipe_raft_log_flushes_total", Double.NaN),
        values.getOrDefault("kvpipe_raft_log_entries_written_total", Double.NaN),
        values.getOrDefault("kvpipe_raft_elections_total", Double.NaN),
        JitWarmUp.compileMs(text));
  }
}
