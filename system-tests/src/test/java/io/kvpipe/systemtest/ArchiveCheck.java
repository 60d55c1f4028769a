package io.kvpipe.systemtest;

import io.kvpipe.testsupport.load.KeyModel;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The archive's side of a scenario, once the pipeline is idle: kv_current agrees with the store (live keys by version
 * and value, deletes as tombstones or absent once collected), no kv_current row comes from a migration event, and
 * every acknowledged write has exactly one client changelog row. Returns mismatches as lines.
 */
final class ArchiveCheck {
  private ArchiveCheck() {}

  record CurrentRow(long version, String digest, String group, long logIndex) {}

  static Map<String, CurrentRow> current(MySqlDatabase db) throws SQLException {
    Map<String, CurrentRow> m = new HashMap<>();
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT kv_key, kv_value, version, group_id, log_index FROM kv_current")) {
      while (rs.next()) {
        byte[] v = rs.getBytes(2);
        m.put(new String(rs.getBytes(1), StandardCharsets.UTF_8),
            new CurrentRow(rs.getLong(3), v == null ? null : StoreContents.digest(v), rs.getString(4), rs.getLong(5)));
      }
    }
    return m;
  }

  static List<String> currentMatchesStore(MySqlDatabase db, StoreContents store) throws SQLException {
    List<String> out = new ArrayList<>();
    Map<String, CurrentRow> current = current(db);
    store.byKey().forEach((key, placed) -> {
      StoreContents.Placed p = store.only(key);
      CurrentRow row = current.get(key);
      if (row == null) {
        out.add("kv_current lacks " + key + " (store: " + p + ")");
      } else if (row.version() != p.version() || !java.util.Objects.equals(row.digest(), p.digest())) {
        out.add("kv_current " + key + " v" + row.version() + (row.digest() == null ? " deleted" : "")
            + " vs store " + p);
      }
    });
    current.forEach((key, row) -> {
      if (row.digest() != null && !store.byKey().containsKey(key)) {
        out.add("kv_current has live " + key + " v" + row.version() + " the store does not hold");
      }
    });
    return out;
  }

  /**
   * kv_current rows whose (group, log index) is not a client change or a TTL expiry of that key: a migration event
   * changed them. (An expiry is a logical delete, so it rightly sets kv_current: ttl.md.)
   */
  static List<String> rowsNotFromClientEvents(MySqlDatabase db) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT CONVERT(c.kv_key USING utf8mb4), c.group_id, c.log_index, c.version FROM kv_current c "
            + "LEFT JOIN kv_changelog h ON h.group_id = c.group_id AND h.log_index = c.log_index "
            + "AND h.kv_key = c.kv_key AND h.version = c.version AND h.origin IN ('client', 'expiry') WHERE h.id IS NULL")) {
      while (rs.next()) {
        out.add("kv_current " + rs.getString(1) + " v" + rs.getLong(4) + " from " + rs.getString(2) + "/"
            + rs.getLong(3) + " is no client or expiry event");
      }
    }
    return out;
  }

  static long migrationEvents(MySqlDatabase db) throws SQLException {
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT COUNT(*) FROM kv_changelog WHERE origin = 'migration'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Acknowledged writes without exactly one client changelog row of that key and version. */
  static List<String> acksArchivedOnce(MySqlDatabase db, List<KeyModel.Ack> acks) throws SQLException {
    Map<String, Integer> rows = new HashMap<>();
    Map<String, String> ops = new HashMap<>();
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT kv_key, version, op FROM kv_changelog WHERE origin = 'client'")) {
      while (rs.next()) {
        String id = new String(rs.getBytes(1), StandardCharsets.UTF_8) + "@" + rs.getLong(2);
        rows.merge(id, 1, Integer::sum);
        ops.put(id, rs.getString(3));
      }
    }
    List<String> out = new ArrayList<>();
    for (KeyModel.Ack a : acks) {
      String id = a.key() + "@" + a.version();
      int n = rows.getOrDefault(id, 0);
      if (n != 1) {
        out.add("acknowledged " + (a.delete() ? "delete " : "put ") + id + " has " + n + " changelog rows");
      } else if (a.delete() != ops.get(id).equals("d")) {
        out.add("acknowledged " + (a.delete() ? "delete " : "put ") + id + " archived as op " + ops.get(id));
      }
    }
    return out;
  }
}
