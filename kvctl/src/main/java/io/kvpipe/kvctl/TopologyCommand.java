package io.kvpipe.kvctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import picocli.CommandLine.Command;

/** {@code kvctl topology}: every shard group, its replicas, and its share of the hash ring. */
@Command(name = "topology", description = "Shard groups, their replicas and their share of the ring.")
final class TopologyCommand extends KvctlCommand {
  @Override
  public Integer call() {
    JsonNode s = cluster.api().get("/api/topology/shards");
    if (json()) {
      printJson(s);
      return ExitCodes.OK;
    }
    out().printf("topology version %d, epoch %d, %d virtual nodes per group%n", s.path("version").asLong(),
        s.path("epoch").asLong(), s.path("vnodes").asInt());
    Table t = new Table("GROUP", "ON RING", "RING SHARE", "RANGES", "PEERS");
    for (JsonNode g : s.path("shards")) {
      t.row(g.path("id").asText(), g.path("onRing").asBoolean() ? "yes" : "no",
          String.format(Locale.ROOT, "%.1f%%", 100 * g.path("ownedFraction").asDouble()),
          g.path("ranges").asInt(), Json.joined(g.path("peers")));
    }
    t.print(out());
    return ExitCodes.OK;
  }
}
