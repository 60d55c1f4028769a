package io.kvpipe.kvctl;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The per-group replication table of {@code kvctl groups} and {@code kvctl status}, from {@code GET
 * /api/topology/shards}: one row per replica, the group's leader and CDC lag on each of its rows; the meta group's rows
 * first (its {@code meta} field; no CDC).
 */
final class GroupStatusTable {
  private GroupStatusTable() {}

  static Table of(JsonNode shards) {
    Table t = new Table("GROUP", "LEADER", "REPLICA", "ROLE", "COMMIT_LAG", "APPLIED_LAG", "LAST_CONTACT_MS",
        "CDC_OUTBOX", "CDC_LAG");
    // The meta group first (the topology's own Raft group, no CDC), then the shard groups.
    JsonNode meta = shards.path("meta");
    if (meta.isObject()) {
      row(t, meta, meta.path("id").asText("meta"), true);
    }
    for (JsonNode s : shards.path("shards")) {
      row(t, s, s.path("id").asText() + (s.path("onRing").asBoolean(true) ? "" : " (off ring)"), false);
    }
    return t;
  }

  private static void row(Table t, JsonNode s, String group, boolean noCdc) {
    JsonNode status = s.path("status");
    String leader = s.path("leader").isTextual() ? s.path("leader").asText() : "NONE";
    JsonNode cdc = status.path("cdc");
    String outbox = noCdc ? "-" : cdc.path("error").isTextual() ? "?" : cdc.path("outboxEvents").asText("-");
    String lag = noCdc ? "-" : cdc.path("error").isTextual() ? "?" : cdc.path("lagEntries").asText("-");
    if (status.isMissingNode() || status.isNull()) {
      t.row(group, "?", "-", "not collected yet", "-", "-", "-", "-", "-");
      return;
    }
    for (JsonNode r : status.path("replicas")) {
      t.row(group, leader, r.path("id").asText(), r.path("role").asText(), text(r.path("commitLag")),
          text(r.path("appliedLag")), text(r.path("lastContactMs")), outbox, lag);
    }
  }

  /** True if the meta group or any group on the ring has no leader (a problem for the exit code). */
  static boolean anyLeaderless(JsonNode shards) {
    JsonNode meta = shards.path("meta");
    if (meta.isObject() && meta.path("status").isObject() && !meta.path("leader").isTextual()) {
      return true;
    }
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
