package io.kvpipe.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.Ports;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.tls.TestTls;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /health}, {@code /ready} and {@code /status} of three real kv-nodes (one JVM, gRPC on loopback) hosting one
 * shard group with CDC to a real broker: not ready while the group has no leader, ready once it has one, the leader
 * not ready while Kafka is down and ready again when it returns; {@code /status} shows the leader's followers.
 */
class ReadinessIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  private record Reply(int status, JsonNode body) {}

  @Test
  void readyFollowsLeadershipAndTheLeadersKafkaConnection() throws Exception {
    Map<String, Integer> raft = new LinkedHashMap<>();
    Map<String, Integer> metrics = new LinkedHashMap<>();
    for (String id : List.of("n1", "n2", "n3")) {
      raft.put(id, Ports.freePort());
      metrics.put(id, Ports.freePort());
    }
    String peers = String.join(",", raft.entrySet().stream().map(e -> e.getKey() + "@127.0.0.1:" + e.getValue())
        .toList());
    List<KvNode> nodes = new ArrayList<>();
    try {
      nodes.add(start("n1", raft, metrics, peers));
      assertThat(get(metrics.get("n1"), "/health").status()).isEqualTo(200);
      // Alone, n1 can elect no leader: not ready, and the body says which group and why.
      Reply alone = get(metrics.get("n1"), "/ready");
      assertThat(alone.status()).isEqualTo(503);
      assertThat(alone.body().path("status").asText()).isEqualTo("not ready");
      assertThat(alone.body().path("checks").path("group g1").path("ok").asBoolean()).isFalse();
      assertThat(alone.body().path("checks").path("group g1").path("detail").asText()).contains("no known leader");
      assertThat(alone.body().path("checks").path("raft-server").path("ok").asBoolean()).isTrue();

      nodes.add(start("n2", raft, metrics, peers));
      nodes.add(start("n3", raft, metrics, peers));
      for (String id : raft.keySet()) {
        Poll.until(id + " ready", WAIT, () -> get(metrics.get(id), "/ready").status() == 200);
      }
      try (ShardGroupClient client = ShardGroupClient.connect("g1", PeerAddress.parseList(peers),
          TestTls.cluster().raftTls())) {
        client.put("k", "v".getBytes(StandardCharsets.UTF_8));
      }
      String leader = Poll.forValue("g1's leader as n1 knows it", WAIT, () -> {
        String l = leaderOf(metrics.get("n1"));
        return raft.containsKey(l) ? l : null;
      });
      JsonNode status = get(metrics.get(leader), "/status").body();
      JsonNode g1 = status.path("groups").get(0);
      assertThat(g1.path("group").asText()).isEqualTo("g1");
      assertThat(g1.path("role").asText()).isEqualTo("leader");
      assertThat(g1.path("followers")).hasSize(2);
      assertThat(g1.path("followers").get(0).path("lastContactMs").asLong()).isBetween(0L, 10_000L);
      assertThat(g1.path("cdc").path("publishing").asBoolean()).isTrue();

      KAFKA.broker().stop();
      Poll.until("the leader " + leader + " not ready without Kafka", WAIT, () -> {
        Reply r = get(metrics.get(leader), "/ready");
        return r.status() == 503 && r.body().path("checks").path("group g1").path("detail").asText()
            .contains("cannot reach Kafka");
      });
      String follower = raft.keySet().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
      assertThat(get(metrics.get(follower), "/ready").status()).as("a follower does not publish").isEqualTo(200);
      KAFKA.broker().restart();
      Poll.until("the leader ready again once Kafka is back", WAIT,
          () -> get(metrics.get(leader), "/ready").status() == 200);
    } finally {
      for (KvNode n : nodes) {
        n.close();
      }
    }
  }

  private KvNode start(String id, Map<String, Integer> raft, Map<String, Integer> metrics, String peers)
      throws IOException {
    List<String> args = new ArrayList<>(List.of("--id", id, "--data-dir", dir.resolve(id).toString(),
        "--listen", "127.0.0.1:" + raft.get(id), "--group", "g1=" + peers,
        "--metrics-port", Integer.toString(metrics.get(id)), "--kafka-bootstrap", KAFKA.bootstrapServers(),
        "--topic", "kv.changes.ready"));
    args.addAll(List.of(TestTls.cluster().flags()));
    return KvNode.start(NodeConfig.parse(args.toArray(String[]::new), Map.of()));
  }

  private String leaderOf(int metricsPort) {
    return get(metricsPort, "/status").body().path("groups").get(0).path("leader").asText();
  }

  private Reply get(int port, String path) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), JSON.readTree(r.body()));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
