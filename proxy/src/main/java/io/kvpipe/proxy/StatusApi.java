package io.kvpipe.proxy;

import io.kvpipe.common.topology.NodeInfo;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.proxy.http.Exchange;
import io.kvpipe.proxy.topology.GroupStatus;
import io.kvpipe.proxy.topology.GroupStatusMonitor;
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
  private final GroupStatusMonitor groupStatus;
  private final ProxyMetrics metrics;
  private final long startedAtMs = System.currentTimeMillis();

  StatusApi(ProxyConfig config, TopologyWatcher watcher, GroupStatusMonitor groupStatus, ProxyMetrics metrics) {
    this.config = config;
    this.watcher = watcher;
    this.groupStatus = groupStatus;
    this.metrics = metrics;
  }

  void health(Exchange ex) {
    ex.sendJson(200, Map.of("status", "ok"));
  }

  /**
   * Ready when a topology is loaded, every group on the ring has a majority of its replicas up, and every group on the
   * ring has a reachable leader (as of the last group status round). 200 or 503, with each check's result.
   */
  void ready(Exchange ex) {
    TopologyView v = watcher.current();
    Map<String, Object> checks = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    List<String> replicas = problems(v);
    boolean loaded = v.isReady();
    checks.put("topology", check(loaded, loaded ? "version " + v.version() : "no topology loaded"));
    if (loaded) {
      checks.put("replicas", check(replicas.isEmpty(), replicas.isEmpty()
          ? "every ring group has a majority of its replicas up" : String.join("; ", replicas)));
      List<String> leaders = groupStatus.leaderProblems(v.topology(), System.currentTimeMillis());
      checks.put("leaders", check(leaders.isEmpty(), leaders.isEmpty() ? "every ring group has a reachable leader"
          : String.join("; ", leaders)));
      problems.addAll(replicas);
      problems.addAll(leaders);
    } else {
      problems.addAll(replicas);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", problems.isEmpty() ? "ready" : "not ready");
    body.put("version", v.version());
    body.put("checks", checks);
    body.put("problems", problems);
    ex.sendJson(problems.isEmpty() ? 200 : 503, body);
  }

  private static Map<String, Object> check(boolean ok, String detail) {
    return Map.of("ok", ok, "detail", detail);
  }

  /** Topology problems: none loaded, or a ring group without a majority of its replicas up. */
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
    Map<String, Object> leaders = new LinkedHashMap<>();
    GroupStatusMonitor.Snapshot snap = groupStatus.latest();
    for (ShardGroup g : t.groups()) {
      GroupStatus gs = snap.groups().get(g.id());
      leaders.put(g.id(), gs == null ? null : gs.leader());
    }
    out.put("leaders", leaders);
    List<String> problems = problems(v);
    if (v.isReady()) {
      problems.addAll(groupStatus.leaderProblems(t, System.currentTimeMillis()));
    }
    out.put("problems", problems);
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
