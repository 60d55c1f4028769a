package io.kvpipe.kvctl;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

/** {@code kvctl status}: the proxy's summary of the cluster; exit 1 when it reports readiness problems. */
@Command(name = "status", description = "Proxy and cluster summary (exit 1 if the proxy reports problems).")
final class StatusCommand extends KvctlCommand {
  @Override
  public Integer call() {
    JsonNode s = cluster.api().get("/api/status");
    if (json()) {
      printJson(s);
    } else {
      Table t = new Table("FIELD", "VALUE");
      t.row("proxy", cluster.api().baseUrl() + " (listening on " + s.path("proxy").path("listen").asText() + ", up "
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
    }
    return s.path("problems").isEmpty() ? ExitCodes.OK : ExitCodes.FOUND_PROBLEMS;
  }
}
