package io.kvpipe.kvctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kvctl status}: the proxy's summary of the cluster, every process's {@code /health} and {@code /ready} (the
 * proxy's, the kv-nodes' — given, else every node of the topology at its default HTTP port — and the consumers' HTTP
 * ports given), and each group's leader and lags (the meta group's too); exit 1 when anything is not ready or the
 * proxy reports problems.
 */
@Command(name = "status", description = "Cluster summary: each process's health and readiness, each group's leader"
    + " and lag (exit 1 if anything is not ready).")
final class StatusCommand extends KvctlCommand {
  @Option(names = "--node-url", paramLabel = "URL", split = ",", defaultValue = "${env:KVPIPE_NODE_URLS}",
      description = "a kv-node's HTTP (metrics) port, e.g. http://127.0.0.1:7101; repeatable or comma-separated"
          + " (env KVPIPE_NODE_URLS). None: every node of the topology, at its Raft port + 100 (kv-node's default)")
  List<String> nodeUrls;

  @Option(names = "--consumer-url", paramLabel = "URL", split = ",", defaultValue = "${env:KVPIPE_CONSUMER_URLS}",
      description = "a cdc-consumer's HTTP (metrics) port; repeatable or comma-separated (env KVPIPE_CONSUMER_URLS)")
  List<String> consumerUrls;

  /** One process's answers to {@code /health} and {@code /ready}. */
  record Probe(String process, String url, String health, boolean ready, String detail) {}

  @Override
  public Integer call() {
    List<String> nodes = urls("--node-url", nodeUrls);
    List<String> consumers = urls("--consumer-url", consumerUrls);
    ProxyApi api = cluster.api();
    JsonNode s = api.get("/api/status");
    JsonNode shards = api.get("/api/topology/shards");
    List<Probe> probes = new ArrayList<>();
    probes.add(probeProxy(api));
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(cluster.timeoutMs)).build();
    if (nodes.isEmpty()) {
      // None given: every kv-node the topology lists, at its default HTTP port, so an added node shows up.
      for (String[] n : discoveredNodes(api)) {
        probes.add(probe(http, "kv-node " + n[0], n[1]));
      }
    }
    for (String u : nodes) {
      probes.add(probe(http, "kv-node", u));
    }
    for (String u : consumers) {
      probes.add(probe(http, "cdc-consumer", u));
    }
    boolean problems = !s.path("problems").isEmpty() || probes.stream().anyMatch(p -> !p.ready())
        || GroupStatusTable.anyLeaderless(shards);
    if (json()) {
      ObjectNode out = ProxyApi.JSON.createObjectNode();
      out.set("status", s);
      ArrayNode ps = out.putArray("processes");
      probes.forEach(p -> ps.add(ProxyApi.JSON.valueToTree(p)));
      out.set("groups", shards.path("shards"));
      out.set("meta", shards.path("meta"));
      printJson(out);
    } else {
      Table t = new Table("FIELD", "VALUE");
      t.row("proxy", api.baseUrl() + " (listening on " + s.path("proxy").path("listen").asText() + ", up "
          + s.path("proxy").path("uptimeMs").asLong() / 1000 + " s)");
      t.row("topology version", s.path("topologyVersion").asLong());
      t.row("epoch", s.path("epoch").asLong());
      t.row("ring", Json.joined(s.path("ring")));
      t.row("groups", Json.joined(s.path("groups")));
      t.row("nodes up", Json.joined(s.path("nodesUp")));
      t.row("nodes down", Json.joined(s.path("nodesDown")));
      t.row("migrations", s.path("migrations").asInt());
      t.row("problems", s.path("problems").isEmpty() ? "none" : Json.joined(s.path("problems")));
      t.print(out());
      out().println();
      Table p = new Table("PROCESS", "URL", "HEALTH", "READY", "DETAIL");
      for (Probe probe : probes) {
        p.row(probe.process(), probe.url(), probe.health(), probe.ready() ? "ready" : "NOT READY", probe.detail());
      }
      p.print(out());
      out().println();
      GroupStatusTable.of(shards).print(out());
    }
    return problems ? ExitCodes.FOUND_PROBLEMS : ExitCodes.OK;
  }

  private static List<String> urls(String option, List<String> given) {
    List<String> out = new ArrayList<>();
    if (given != null) {
      for (String u : given) {
        if (u == null || u.isBlank()) {
          continue;
        }
        String url = u.strip().replaceAll("/+$", "");
        if (!url.startsWith("http://") && !url.startsWith("https://")) {
          throw new KvctlException(ExitCodes.USAGE, option + " must be an http(s) URL, not " + u.strip());
        }
        out.add(url);
      }
    }
    return out;
  }

  /** kv-node's default {@code --metrics-port} (its HTTP port of /health and /ready): the Raft port + this. */
  static final int NODE_HTTP_PORT_OFFSET = 100;

  /** {id, URL of its HTTP port} of every node in the topology: its Raft host, the Raft port + 100. */
  private static List<String[]> discoveredNodes(ProxyApi api) {
    List<String[]> out = new ArrayList<>();
    for (JsonNode n : api.get("/api/topology/nodes").path("nodes")) {
      String address = n.path("address").asText();
      int colon = address.lastIndexOf(':');
      if (colon < 1) {
        continue;
      }
      String host = address.substring(0, colon);
      int port;
      try {
        port = Integer.parseInt(address.substring(colon + 1)) + NODE_HTTP_PORT_OFFSET;
      } catch (NumberFormatException e) {
        continue;
      }
      String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
      out.add(new String[] {n.path("id").asText(), "http://" + h + ":" + port});
    }
    return out;
  }

  private Probe probeProxy(ProxyApi api) {
    HttpResponse<String> health = api.open("/health");
    HttpResponse<String> ready = api.open("/ready");
    return new Probe("proxy", api.baseUrl(), health.statusCode() == 200 ? "ok" : "HTTP " + health.statusCode(),
        ready.statusCode() == 200, detail(ready.statusCode(), ready.body()));
  }

  private Probe probe(HttpClient http, String process, String base) {
    String health;
    try {
      int code = get(http, base + "/health").statusCode();
      health = code == 200 ? "ok" : "HTTP " + code;
    } catch (Exception e) {
      return new Probe(process, base, "unreachable", false, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    try {
      HttpResponse<String> ready = get(http, base + "/ready");
      return new Probe(process, base, health, ready.statusCode() == 200, detail(ready.statusCode(), ready.body()));
    } catch (Exception e) {
      return new Probe(process, base, health, false, "/ready: " + e.getMessage());
    }
  }

  private HttpResponse<String> get(HttpClient http, String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMillis(cluster.timeoutMs)).GET()
        .build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  /** The problems a {@code /ready} body names, or what it says when ready. */
  private static String detail(int status, String body) {
    JsonNode b;
    try {
      b = ProxyApi.JSON.readTree(body);
    } catch (Exception e) {
      return status == 200 ? "" : "HTTP " + status + ": " + body.strip();
    }
    if (b == null) {
      return "HTTP " + status;
    }
    if (b.path("problems").isArray() && !b.path("problems").isEmpty()) {
      return Json.joined(b.path("problems"));
    }
    return status == 200 ? "" : "HTTP " + status;
  }
}
