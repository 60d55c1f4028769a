package io.kvpipe.kvctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kvctl nodes}: every kv-node's health as the proxy's monitor sees it; exit 1 if any is down. */
@Command(name = "nodes", description = "kv-node health (exit 1 if any node is down).")
final class NodesCommand extends KvctlCommand {
  @Option(names = "--probe", description = "probe every node now (POST /api/topology/health, admin token) "
      + "instead of showing the last recorded state")
  boolean probe;

  @Override
  public Integer call() {
    ProxyApi api = cluster.api();
    JsonNode nodes;
    if (probe) {
      api.adminPost("/api/topology/health", java.util.Map.of());
    }
    nodes = api.get("/api/topology/nodes").path("nodes");
    boolean anyDown = false;
    Table t = new Table("NODE", "ADDRESS", "STATE", "SINCE", "REASON");
    for (JsonNode n : nodes) {
      boolean up = n.path("up").asBoolean();
      anyDown |= !up;
      long since = n.path("changedAtMs").asLong();
      t.row(n.path("id").asText(), n.path("address").asText(), up ? "up" : "DOWN",
          since > 0 ? Instant.ofEpochMilli(since).toString() : "-", n.path("reason").asText(""));
    }
    if (json()) {
      printJson(nodes);
    } else {
      t.print(out());
    }
    return anyDown ? ExitCodes.FOUND_PROBLEMS : ExitCodes.OK;
  }
}
