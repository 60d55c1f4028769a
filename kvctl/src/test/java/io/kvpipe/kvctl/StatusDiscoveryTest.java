package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code kvctl status} without {@code --node-url} finds the kv-nodes in the topology: each node's host with its Raft
 * port + 100 (kv-node's default {@code --metrics-port}), so a node added to the cluster appears without re-configuring
 * kvctl. The proxy and the nodes' HTTP ports are stubs here (plain JDK HTTP servers): only the URLs kvctl asks matter.
 */
class StatusDiscoveryTest {
  private final List<HttpServer> servers = new ArrayList<>();
  private final List<String> nodes = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    servers.forEach(s -> s.stop(0));
  }

  private HttpServer server() throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    servers.add(s);
    s.start();
    return s;
  }

  private static void answer(HttpServer s, String path, java.util.function.Supplier<String> body) {
    s.createContext(path, ex -> {
      byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
  }

  /** A kv-node's HTTP port; the topology then lists it at Raft port = its port - 100. */
  private void node(String id) throws IOException {
    HttpServer s = server();
    answer(s, "/health", () -> "{\"status\":\"ok\"}");
    answer(s, "/ready", () -> "{\"status\":\"ready\",\"problems\":[]}");
    nodes.add("{\"id\":\"" + id + "\",\"address\":\"127.0.0.1:" + (s.getAddress().getPort() - 100)
        + "\",\"up\":true,\"changedAtMs\":0,\"reason\":\"\"}");
  }

  @Test
  void withoutNodeUrlsTheNodesComeFromTheTopology() throws Exception {
    HttpServer proxy = server();
    answer(proxy, "/health", () -> "{\"status\":\"ok\"}");
    answer(proxy, "/ready", () -> "{\"status\":\"ready\",\"problems\":[]}");
    answer(proxy, "/api/status", () -> "{\"proxy\":{\"listen\":\"x\",\"uptimeMs\":1},\"problems\":[]}");
    answer(proxy, "/api/topology/shards", () -> "{\"version\":1,\"shards\":[]}");
    answer(proxy, "/api/topology/nodes", () -> "{\"version\":1,\"nodes\":[" + String.join(",", nodes) + "]}");
    node("n1");
    node("n2");
    String url = "http://127.0.0.1:" + proxy.getAddress().getPort();

    KvctlRun before = KvctlRun.of("status", "--proxy", url, "--token", "data-token-1", "--node-url", "");
    assertThat(before.exitCode()).as(before.err()).isZero();
    assertThat(before.out().lines().filter(l -> l.startsWith("kv-node "))).hasSize(2)
        .allMatch(l -> l.contains(" ready"));

    node("n4"); // added to the cluster: kvctl's configuration did not change
    KvctlRun after = KvctlRun.of("status", "--proxy", url, "--token", "data-token-1", "--node-url", "");
    assertThat(after.exitCode()).as(after.err()).isZero();
    assertThat(after.out().lines().filter(l -> l.startsWith("kv-node "))).hasSize(3);
    assertThat(after.out()).contains("n4");
  }
}
