package io.kvpipe.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.testsupport.Ports;
import io.kvpipe.testsupport.tls.TestTls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node's /metrics shows Ratis's own per-group log and election counters (benchmarks read entries per fsync there),
 * its term and role, and its timers as histograms.
 */
class RatisMetricsIT {
  @TempDir
  Path dir;

  @Test
  void metricsShowRaftLogFlushesEntriesAndElections() throws Exception {
    int port = Ports.freePort();
    int metricsPort = Ports.freePort();
    NodeConfig config = NodeConfig.parse(withTls("--id", "n1", "--data-dir", dir.toString(),
        "--group", "g1=n1@127.0.0.1:" + port, "--metrics-port", Integer.toString(metricsPort)), Map.of());
    try (KvNode node = KvNode.start(config);
         ShardGroupClient client = ShardGroupClient.connect("g1", PeerAddress.parseList("n1@127.0.0.1:" + port), TestTls.cluster().raftTls());
         HttpClient http = HttpClient.newHttpClient()) {
      // One at a time: each put is then its own log entry (concurrent ones may share one through group commit).
      for (int i = 0; i < 10; i++) {
        client.put("k" + i, ("v" + i).getBytes(StandardCharsets.UTF_8));
      }
      String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
          .build(), HttpResponse.BodyHandlers.ofString()).body();

      double flushes = value(text, "kvpipe_raft_log_flushes_total");
      double entries = value(text, "kvpipe_raft_log_entries_written_total");
      assertThat(flushes).isGreaterThan(0);
      assertThat(entries).isGreaterThanOrEqualTo(10).isGreaterThanOrEqualTo(flushes);
      // A lone replica still becomes leader by an election of its own.
      assertThat(value(text, "kvpipe_raft_elections_total")).isGreaterThanOrEqualTo(1);

      // Ratis's timers, as histograms with the shared buckets: flushes, appends, the client writes the leader served,
      // and kvpipe's own apply; a follower's appendEntries and the fsync are there too (no follower here).
      assertThat(value(text, "kvpipe_raft_log_flush_seconds_count")).isGreaterThan(0);
      assertThat(value(text, "kvpipe_raft_log_append_entry_seconds_count")).isGreaterThanOrEqualTo(10);
      assertThat(value(text, "kvpipe_raft_client_write_seconds_count")).isGreaterThanOrEqualTo(10);
      assertThat(value(text, "kvpipe_raft_apply_seconds_count")).isGreaterThanOrEqualTo(10);
      value(text, "kvpipe_raft_log_sync_seconds_count");
      value(text, "kvpipe_raft_follower_append_entries_seconds_count");
      assertThat(text).containsPattern("kvpipe_raft_log_flush_seconds_bucket\\{group=\"g1\",le=\"0\\.001\"\\}")
          .containsPattern("kvpipe_raft_client_write_seconds_bucket\\{group=\"g1\",le=\"\\+Inf\"\\}");
    }
  }

  /** Two replicas in this JVM: the follower's appendEntries and both logs' fsyncs are timed, each under its group. */
  @Test
  void aFollowersAppendEntriesAreTimed() throws Exception {
    int[] ports = {Ports.freePort(), Ports.freePort()};
    int[] metrics = {Ports.freePort(), Ports.freePort()};
    String peers = "n1@127.0.0.1:" + ports[0] + ",n2@127.0.0.1:" + ports[1];
    KvNode[] nodes = new KvNode[2];
    try (HttpClient http = HttpClient.newHttpClient()) {
      for (int i = 0; i < 2; i++) {
        String id = "n" + (i + 1);
        nodes[i] = KvNode.start(NodeConfig.parse(withTls("--id", id, "--data-dir", dir.resolve(id).toString(),
            "--group", "g1=" + peers, "--metrics-port", Integer.toString(metrics[i])), Map.of()));
      }
      try (ShardGroupClient client = ShardGroupClient.connect("g1", PeerAddress.parseList(peers),
          TestTls.cluster().raftTls())) {
        for (int i = 0; i < 10; i++) {
          client.put("f" + i, ("v" + i).getBytes(StandardCharsets.UTF_8));
        }
      }
      double followerAppends = 0;
      double syncs = 0;
      java.util.Set<Double> terms = new java.util.HashSet<>();
      double leaders = 0;
      for (int m : metrics) {
        String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        followerAppends += value(text, "kvpipe_raft_follower_append_entries_seconds_count");
        syncs += value(text, "kvpipe_raft_log_sync_seconds_count");
        terms.add(value(text, "kvpipe_raft_term"));
        leaders += value(text, "kvpipe_shard_leader");
      }
      // Each replica's own term, the same on both once the writes went through; one of them says it leads.
      assertThat(terms).hasSize(1).allSatisfy(t -> assertThat(t).isGreaterThanOrEqualTo(1));
      assertThat(leaders).isEqualTo(1);
      // Ten writes reached the follower in at least one appendEntries (heartbeats are not counted here).
      assertThat(followerAppends).isGreaterThan(0);
      assertThat(syncs).isGreaterThan(0);
    } finally {
      for (KvNode n : nodes) {
        if (n != null) {
          n.close();
        }
      }
    }
  }

  private static double value(String metrics, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + "\\{group=\"g1\",?\\} (\\S+)$").matcher(metrics);
    assertThat(m.find()).as(name + " for g1 in /metrics:\n" + metrics).isTrue();
    return Double.parseDouble(m.group(1));
  }

  /** The node's flags plus the test cluster CA's TLS files. */
  private static String[] withTls(String... args) {
    return java.util.stream.Stream.concat(java.util.Arrays.stream(args),
        java.util.Arrays.stream(TestTls.cluster().flags())).toArray(String[]::new);
  }
}
