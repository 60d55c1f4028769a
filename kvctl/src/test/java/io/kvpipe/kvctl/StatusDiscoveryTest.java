package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code kvctl status} without {@code --node-url} finds the kv-nodes in the topology: each node's host with its Raft
 * port + 100 (kv-node's default {@code --metrics-port}), so a node added to the cluster appears without re-configuring
 * kvctl. The proxy and the nodes' HTTP ports are stubs here ({@link JsonStub}): only the URLs kvctl asks matter.
 */
class StatusDiscoveryTest {
  private final List<JsonStub> stubs = new ArrayList<>();
  private final List<String> nodes = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    stubs.forEach(JsonStub::close);
  }

  private JsonStub stub() {
    JsonStub s = new JsonStub();
    stubs.add(s);
    return s;
  }

  /** A kv-node's HTTP port; the topology then lists it at Raft port = its port - 100. */
  private void node(String id) {
    JsonStub s = stub().answer("/health", () -> "{\"status\":\"ok\"}")
        .answer("/ready", () -> "{\"status\":\"ready\",\"problems\":[]}");
    nodes.add("{\"id\":\"" + id + "\",\"address\":\"127.0.0.1:" + (s.port() - 100)
        + "\",\"up\":true,\"changedAtMs\":0,\"reason\":\"\"}");
  }

  @Test
  void withoutNodeUrlsTheNodesComeFromTheTopology() {
    JsonStub proxy = stub()
        .answer("/health", () -> "{\"status\":\"ok\"}")
        .answer("/ready", () -> "{\"status\":\"ready\",\"problems\":[]}")
        .answer("/api/status", () -> "{\"proxy\":{\"listen\":\"x\",\"uptimeMs\":1},\"problems\":[]}")
        .answer("/api/topology/shards", () -> "{\"version\":1,\"shards\":[]}")
        .answer("/api/topology/nodes", () -> "{\"version\":1,\"nodes\":[" + String.join(",", nodes) + "]}");
    node("n1");
    node("n2");
    String url = proxy.url();

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
