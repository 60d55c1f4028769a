package io.kvpipe.proxy;

import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.testsupport.ratis.KvNodeCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
  static final String DATA_TOKEN = "data-token-for-tests";
  static final String ADMIN_TOKEN = "admin-token-for-tests";
  static final List<String> SHARD_GROUPS = List.of("g1", "g2");

  final KvNodeCluster nodes;
  final List<ProxyServer> proxies = new ArrayList<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  ProxyTestCluster(Path dir, String... nodeArgs) {
    KvNodeCluster.Builder b = KvNodeCluster.builder("io.kvpipe.node.KvNodeMain", dir).nodes(3)
        .group("meta", RaftGroupId.valueOf(GroupIds.uuidOf("meta")));
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

  ProxyConfig config(int maxValueBytes, Duration topologyPoll) {
    return new ProxyConfig("127.0.0.1", 0, peers(), shardGroups(), 64, DATA_TOKEN, ADMIN_TOKEN, true, maxValueBytes,
        // A generous request deadline: the ITs share 2 cores with other suites, and a leader election under that
        // load can take several seconds; the proxy must retry through it rather than give up.
        8192, Duration.ofSeconds(20), Duration.ofSeconds(30), topologyPoll, Duration.ofMillis(500),
        Duration.ofMillis(400), 1, 2, nodes.tls().raftTls());
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
