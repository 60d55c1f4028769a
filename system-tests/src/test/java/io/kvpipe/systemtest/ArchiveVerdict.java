package io.kvpipe.systemtest;

import io.kvpipe.testsupport.check.Op;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The archive against a robustness run's history, once the pipeline is idle: every acknowledged write has exactly one
 * client row in kv_changelog (same key, version, kind and value); every client row of the run's keys is an
 * acknowledged write or one of unknown outcome (a put by its unique value, used once; a delete within the number of
 * unknown deletes of its key): nothing appears that was never written.
 */
final class ArchiveVerdict {
  private ArchiveVerdict() {}

  private record Row(String key, long version, String op, String value) {}

  static List<String> changelogMatchesHistory(MySqlDatabase db, List<Op> history, String keyPrefix)
      throws SQLException {
    List<Row> rows = new ArrayList<>();
    try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement(
        "SELECT kv_key, version, op, kv_value FROM kv_changelog WHERE origin = 'client' AND kv_key LIKE ?")) {
      s.setBytes(1, (keyPrefix + "%").getBytes(StandardCharsets.UTF_8));
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          byte[] v = rs.getBytes(4);
          rows.add(new Row(new String(rs.getBytes(1), StandardCharsets.UTF_8), rs.getLong(2), rs.getString(3),
              v == null ? null : new String(v, StandardCharsets.UTF_8)));
        }
      }
    }
    Map<String, List<Row>> byId = new HashMap<>();
    rows.forEach(r -> byId.computeIfAbsent(r.key() + "@" + r.version(), k -> new ArrayList<>()).add(r));
    List<String> out = new ArrayList<>();
    Set<String> acked = new HashSet<>();
    Map<String, Op> unknownPuts = new HashMap<>();
    Map<String, Integer> unknownDeletes = new HashMap<>();
    for (Op op : history) {
      if (!op.write()) {
        continue;
      }
      if (op.outcome() == Op.Outcome.UNKNOWN) {
        if (op.kind() == Op.Kind.PUT) {
          unknownPuts.put(op.key() + "=" + op.value(), op);
        } else {
          unknownDeletes.merge(op.key(), 1, Integer::sum);
        }
        continue;
      }
      if (op.outcome() != Op.Outcome.OK) {
        continue;
      }
      String id = op.key() + "@" + op.version();
      acked.add(id);
      List<Row> found = byId.getOrDefault(id, List.of());
      if (found.size() != 1) {
        out.add("acknowledged " + op.describe() + " has " + found.size() + " client changelog rows");
        continue;
      }
      Row r = found.get(0);
      boolean delete = op.kind() == Op.Kind.DELETE;
      if (delete != r.op().equals("d") || (!delete && !op.value().equals(r.value()))) {
        out.add("acknowledged " + op.describe() + " archived as " + r);
      }
    }
    Set<String> usedPuts = new HashSet<>();
    Map<String, Integer> usedDeletes = new HashMap<>();
    for (Row r : rows) {
      if (acked.contains(r.key() + "@" + r.version())) {
        continue;
      }
      if (r.op().equals("d")) {
        int n = usedDeletes.merge(r.key(), 1, Integer::sum);
        if (n > unknownDeletes.getOrDefault(r.key(), 0)) {
          out.add("changelog delete of " + r.key() + " v" + r.version() + " matches no delete that was sent");
        }
      } else {
        String id = r.key() + "=" + r.value();
        if (!unknownPuts.containsKey(id)) {
          out.add("changelog row " + r + " matches no write that was sent");
        } else if (!usedPuts.add(id)) {
          out.add("changelog holds the put of unknown outcome " + id + " twice");
        }
      }
    }
    return out;
  }
}
