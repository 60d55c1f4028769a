package io.kvpipe.kvctl;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The per-group replication table of {@code kvctl groups} and {@code kvctl status}, from {@code GET
 * /api/topology/shards}: one row per replica, the group's leader and CDC lag on each of its rows.
 */
final class GroupStatusTable {
  private GroupStatusTable() {}

  static Table of(JsonNode shards) {
    Table t = new Table("GROUP", "LEADER", "REPLICA", "ROLE", "COMMIT_LAG", "APPLIED_LAG", "LAST_CONTACT_MS",
        "CDC_OUTBOX", "CDC_LAG");
    for (JsonNode s : shards.path("shards")) {
      JsonNode status = s.path("status");
      String group = s.path("id").asText() + (s.path("onRing").asBoolean(true) ? "" : " (off ring)");
      String leader = s.path("leader").isTextual() ? s.path("leader").asText() : "NONE";
      JsonNode cdc = status.path("cdc");
      String outbox = cdc.path("error").isTextual() ? "?" : cdc.path("outboxEvents").asText("-");
      String lag = cdc.path("error").isTextual() ? "?" : cdc.path("lagEntries").asText("-");
      if (status.isMissingNode() || status.isNull()) {
        t.row(group, "?", "-", "not collected yet", "-", "-", "-", "-", "-");
        continue;
      }
      for (JsonNode r : status.path("replicas")) {
        t.row(group, leader, r.path("id").asText(), r.path("role").asText(), text(r.path("commitLag")),
            text(r.path("appliedLag")), text(r.path("lastContactMs")), outbox, lag);
      }
    }
    return t;
  }

  /** True if any group on the ring has no leader (a problem for the exit code). */
  static boolean anyLeaderless(JsonNode shards) {
    for (JsonNode s : shards.path("shards")) {
      if (s.path("onRing").asBoolean(true) && !s.path("leader").isTextual()) {
        return true;
      }
    }
    return false;
  }

  private static String text(JsonNode n) {
    return n.isMissingNode() || n.isNull() ? "-" : n.asText();
  }
}
