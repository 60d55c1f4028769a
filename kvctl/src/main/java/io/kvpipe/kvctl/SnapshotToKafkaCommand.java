package io.kvpipe.kvctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import picocli.CommandLine.Command;

/**
 * {@code kvctl snapshot-to-kafka}: asks every ring group's leader to publish each live key as a snapshot-read event
 * ({@code op=r}, origin snapshot) at one consistent log index, e.g. to seed a new archive. Contract:
 * {@code POST /api/cluster/snapshot} → {@code {"groups":[{"group","logIndex","events"} or {"group","error","message"}]}}.
 */
@Command(name = "snapshot-to-kafka", description = "Publish every live key to Kafka as a snapshot event "
    + "(POST /api/cluster/snapshot).")
final class SnapshotToKafkaCommand extends KvctlCommand {
  @Override
  public Integer call() {
    JsonNode r = cluster.api().adminPost("/api/cluster/snapshot", Map.of());
    if (json()) {
      printJson(r);
    } else {
      for (JsonNode g : r.path("groups")) {
        out().println(g.has("error")
            ? g.path("group").asText() + ": " + g.path("error").asText() + " " + g.path("message").asText()
            : g.path("group").asText() + ": " + g.path("events").asLong() + " events at log index "
                + g.path("logIndex").asLong());
      }
    }
    return ExitCodes.OK;
  }
}
