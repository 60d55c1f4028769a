package io.kvpipe.kvctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kvctl snapshot-to-kafka}: asks the cluster to publish every live key as a snapshot-read event ({@code op=r},
 * origin snapshot), e.g. to seed a new archive. Contract: {@code POST /api/cluster/snapshot-to-kafka}
 * {@code {"groups":[...]}} (empty = all) → a JSON summary.
 */
@Command(name = "snapshot-to-kafka", description = "Publish every live key to Kafka as a snapshot event "
    + "(POST /api/cluster/snapshot-to-kafka).")
final class SnapshotToKafkaCommand extends KvctlCommand {
  @Option(names = "--group", paramLabel = "GROUP", description = "only this group (repeatable; default: all)")
  List<String> groups;

  @Override
  public Integer call() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("groups", groups == null ? List.of() : groups.stream().map(PeersCommand::checkedGroup).toList());
    JsonNode r = cluster.api().adminPost("/api/cluster/snapshot-to-kafka", body);
    if (json()) {
      printJson(r);
    } else {
      out().println("snapshot requested: " + r);
    }
    return ExitCodes.OK;
  }
}
