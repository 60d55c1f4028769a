package io.kvpipe.proxy;

import io.kvpipe.common.topology.NodeInfo;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.proxy.http.Exchange;
import io.kvpipe.proxy.topology.TopologyView;
import io.kvpipe.proxy.topology.TopologyWatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code /health}, {@code /ready}, {@code /api/status}, {@code /api/cluster/config} and {@code /metrics}. */
final class StatusApi {
  private final ProxyConfig config;
  private final TopologyWatcher watcher;
  private final ProxyMetrics metrics;
  private final long startedAtMs = System.currentTimeMillis();

  StatusApi(ProxyConfig config, TopologyWatcher watcher, ProxyMetrics metrics) {
    this.config = config;
    this.watcher = watcher;
    this.metrics = metrics;
  }

  void health(Exchange ex) {
    ex.sendJson(200, Map.of("status", "ok"));
  }

  /** Ready when a topology is loaded and every group on the ring has a majority of its replicas up. */
  void ready(Exchange ex) {
    List<String> problems = problems(watcher.current());
    if (problems.isEmpty()) {
      ex.sendJson(200, Map.of("status", "ready", "version", watcher.current().version()));
    } else {
      ex.sendJson(503, Map.of("status", "not ready", "problems", problems));
    }
  }

  static List<String> problems(TopologyView view) {
    List<String> problems = new ArrayList<>();
    if (!view.isReady()) {
      problems.add("no topology loaded");
      return problems;
    }
    Topology t = view.topology();
    for (String member : t.ringMembers()) {
      ShardGroup g = t.group(member).orElseThrow();
      long up = g.peers().stream().filter(p -> t.node(p.id()).map(NodeInfo::up).orElse(false)).count();
      if (up * 2 <= g.peers().size()) {
        problems.add("group " + member + " has " + up + " of " + g.peers().size() + " replicas up");
      }
    }
    return problems;
  }

  void status(Exchange ex) {
    TopologyView v = watcher.current();
    Topology t = v.topology();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("proxy", Map.of("listen", config.listenHost() + ":" + config.listenPort(),
        "uptimeMs", System.currentTimeMillis() - startedAtMs));
    out.put("topologyVersion", t.version());
    out.put("epoch", t.epoch());
    out.put("ring", t.ringMembers());
    out.put("groups", t.groups().stream().map(ShardGroup::id).toList());
    out.put("nodesUp", t.nodes().stream().filter(NodeInfo::up).map(NodeInfo::id).toList());
    out.put("nodesDown", t.nodes().stream().filter(n -> !n.up()).map(NodeInfo::id).toList());
    out.put("migrations", t.migrations().stream().filter(io.kvpipe.common.topology.Migration::inFlight).count());
    out.put("problems", problems(v));
    ex.sendJson(200, out);
  }

  void clusterConfig(Exchange ex) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("listen", config.listenHost() + ":" + config.listenPort());
    out.put("httpTls", config.httpTls().map(Object::toString).orElse("off"));
    out.put("metaPeers", config.metaPeers().stream().map(Object::toString).toList());
    out.put("bootstrapGroups", config.bootstrapGroups().stream().map(Object::toString).toList());
    out.put("vnodes", config.vnodes());
    out.put("dataTokens", config.tokens().describe("data"));
    out.put("adminTokens", config.tokens().describe("admin"));
    out.put("metricsOpen", config.metricsOpen());
    out.put("maxValueBytes", config.maxValueBytes());
    out.put("maxHeaderBytes", config.limits().maxHeaderBytes());
    out.put("maxUriBytes", config.limits().maxUriBytes());
    out.put("maxBatchGetBytes", config.limits().maxBatchGetBytes());
    out.put("maxSseSubscribers", config.limits().maxSseSubscribers());
    out.put("sseQueueFrames", config.limits().sseQueueFrames());
    out.put("requestTimeoutMs", config.requestTimeout().toMillis());
    out.put("topologyPollMs", config.topologyPoll().toMillis());
    out.put("healthIntervalMs", config.healthInterval().toMillis());
    out.put("healthTimeoutMs", config.healthTimeout().toMillis());
    out.put("healthRetries", config.healthRetries());
    out.put("healthFailureThreshold", config.healthFailureThreshold());
    ex.sendJson(200, out);
  }

  void metrics(Exchange ex) {
    byte[] body = metrics.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    ex.sendRawJson(200, body, new org.eclipse.jetty.http.HttpField(org.eclipse.jetty.http.HttpHeader.CONTENT_TYPE,
        "text/plain; version=0.0.4; charset=utf-8"));
  }
}
