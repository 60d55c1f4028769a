package io.kvpipe.proxy;

import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.testsupport.ratis.KvNodeCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.ratis.protocol.RaftGroupId;

/**
 * Three kv-node processes hosting the meta group and shard groups g1, g2, plus proxies in this JVM talking to them.
 * Used by the proxy ITs and the proxy benchmark. Not thread-safe: one test drives it.
 */
final class ProxyTestCluster implements AutoCloseable {
  static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /** A reply body as JSON; a body that is not JSON fails the test, showing what came instead. */
  static com.fasterxml.jackson.databind.JsonNode json(HttpResponse<byte[]> r) {
    try {
      return JSON.readTree(r.body());
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + new String(r.body(), StandardCharsets.UTF_8), e);
    }
  }

  static final String DATA_TOKEN = "data-token-for-tests";
  static final String ADMIN_TOKEN = "admin-token-for-tests";
  static final List<String> SHARD_GROUPS = List.of("g1", "g2");

  final KvNodeCluster nodes;
  final List<ProxyServer> proxies = new ArrayList<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  ProxyTestCluster(Path dir, String... nodeArgs) {
    this(dir, java.util.Map.of(), nodeArgs);
  }

  /** With {@code nodeEnv} in every kv-node's environment (e.g. KVPIPE_OP_LOG=DEBUG). */
  ProxyTestCluster(Path dir, java.util.Map<String, String> nodeEnv, String... nodeArgs) {
    KvNodeCluster.Builder b = KvNodeCluster.builder("io.kvpipe.node.KvNodeMain", dir).nodes(3)
        .group("meta", RaftGroupId.valueOf(GroupIds.uuidOf("meta")));
    nodeEnv.forEach(b::env);
    for (String g : SHARD_GROUPS) {
      b.group(g, RaftGroupId.valueOf(GroupIds.uuidOf(g)));
    }
    this.nodes = b.args(nodeArgs).start(Duration.ofSeconds(60));
  }

  List<Peer> peers() {
    return ProxyConfigParser.peers(nodes.peersSpec());
  }

  List<ShardGroup> shardGroups() {
    return SHARD_GROUPS.stream().map(g -> ShardGroup.parse(g + "=" + nodes.peersSpec())).toList();
  }

  ProxyConfig config(int maxValueBytes) {
    return config(maxValueBytes, Duration.ofMillis(100));
  }

  ProxyConfig config(int maxValueBytes, Duration topologyPoll, String... extraArgs) {
    String groups = String.join(";", shardGroups().stream().map(Object::toString).toList());
    return ProxyConfigParser.parse(concat(new String[] {"--host", "127.0.0.1", "--port", "0", "--meta-peers",
        nodes.peersSpec(), "--bootstrap-groups", groups, "--vnodes", "64", "--max-value-bytes",
        Integer.toString(maxValueBytes), "--max-batch-get-bytes", Integer.toString(Math.max(maxValueBytes, 16 << 20)),
        // A generous request deadline: the ITs share 2 cores with other suites, and a leader election under that
        // load can take several seconds; the proxy must retry through it rather than give up.
        "--request-timeout-ms", "20000", "--idle-timeout-ms", "30000",
        "--topology-poll-ms", Long.toString(topologyPoll.toMillis()), "--health-interval-ms", "500",
        "--health-timeout-ms", "400", "--health-retries", "1", "--health-failure-threshold", "2"},
        concat(nodes.tls().flags(), extraArgs)),
        java.util.Map.of("KVPIPE_TOKEN", DATA_TOKEN, "KVPIPE_ADMIN_TOKEN", ADMIN_TOKEN));
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  ProxyServer startProxy(ProxyConfig config) throws Exception {
    ProxyServer p = new ProxyServer(config).start();
    proxies.add(p);
    return p;
  }

  static String base(ProxyServer p) {
    return "http://127.0.0.1:" + p.port();
  }

  HttpResponse<byte[]> send(HttpRequest.Builder request) {
    try {
      return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (Exception e) {
      throw new IllegalStateException("request failed: " + e, e);
    }
  }

  static HttpRequest.Builder req(ProxyServer p, String pathAndQuery, String token) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base(p) + pathAndQuery));
    return token == null ? b : b.header("Authorization", "Bearer " + token);
  }

  @Override
  public void close() {
    for (ProxyServer p : proxies) {
      try {
        p.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing a proxy failed", e);
      }
    }
    nodes.close();
  }
}
