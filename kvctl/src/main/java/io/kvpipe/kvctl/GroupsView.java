package io.kvpipe.kvctl;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code kvctl groups} and {@code kvctl groups list}: each group's leader, replicas and lags; exit 1 if a ring group
 * has no leader.
 */
abstract class GroupsView extends KvctlCommand {
  @Override
  public Integer call() {
    JsonNode shards = cluster.api().get("/api/topology/shards");
    if (json()) {
      printJson(shards.path("shards")); // the meta group: kvctl status --json, or /api/topology/shards's "meta"
    } else {
      GroupStatusTable.of(shards).print(out());
    }
    return GroupStatusTable.anyLeaderless(shards) ? ExitCodes.FOUND_PROBLEMS : ExitCodes.OK;
  }
}
