package io.kvpipe.systemtest;

import io.kvpipe.testsupport.check.Op;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.robust.TxnPairClients.Txn;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The two-key transactions of a robustness run: every acknowledged successful one gave both puts one version (one log
 * entry); in the archive (once idle) each acknowledged one has both client rows, at those versions, sharing one
 * non-null txn_id, and one of unknown outcome has both rows (likewise) or neither; no txn_id of the run's pairs is on
 * any other number of rows than two. (Exactly-once of each put, and no row from a refused one, is
 * {@link ArchiveVerdict}'s part: the transactions' puts are in the history.)
 */
final class TxnCheck {
  private TxnCheck() {}

  record Result(int txns, int succeeded, int refused, int unknown, List<String> problems) {}

  private record Row(String key, long version, String value, String txnId) {}

  /** What holds without the archive. */
  static List<String> versions(List<Txn> txns) {
    List<String> out = new ArrayList<>();
    for (Txn t : txns) {
      if (t.outcome() == Op.Outcome.OK && (t.versionA() != t.versionB() || t.versionA() <= 0)) {
        out.add("txn #" + t.id() + " acknowledged with versions " + t.versionA() + " (" + t.keyA() + ") and "
            + t.versionB() + " (" + t.keyB() + "): not one log entry");
      }
      if (t.outcome() == Op.Outcome.FAILED) {
        out.add("txn #" + t.id() + " on " + t.keyA() + ", " + t.keyB() + " refused: " + t.note());
      }
    }
    return out;
  }

  static Result check(MySqlDatabase db, List<Txn> txns, String keyPrefix) throws SQLException {
    List<String> out = new ArrayList<>(versions(txns));
    Map<String, Row> byValue = new HashMap<>();
    Map<String, Integer> perTxnId = new HashMap<>();
    try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement(
        "SELECT kv_key, version, kv_value, txn_id FROM kv_changelog WHERE origin = 'client' AND kv_key LIKE ?")) {
      s.setBytes(1, (keyPrefix + "-txn-%").getBytes(StandardCharsets.UTF_8));
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          byte[] v = rs.getBytes(3);
          Row r = new Row(new String(rs.getBytes(1), StandardCharsets.UTF_8), rs.getLong(2),
              v == null ? null : new String(v, StandardCharsets.UTF_8), rs.getString(4));
          byValue.put(r.key() + "=" + r.value(), r);
          if (r.txnId() == null) {
            out.add("changelog row " + r + " of a transaction's key has no txn_id");
          } else {
            perTxnId.merge(r.txnId(), 1, Integer::sum);
          }
        }
      }
    }
    perTxnId.forEach((id, n) -> {
      if (n != 2) {
        out.add("txn_id " + id + " is on " + n + " changelog rows, not 2");
      }
    });
    int ok = 0;
    int refused = 0;
    int unknown = 0;
    for (Txn t : txns) {
      Row a = byValue.get(t.keyA() + "=" + t.valueA());
      Row b = byValue.get(t.keyB() + "=" + t.valueB());
      switch (t.outcome()) {
        case OK -> {
          ok++;
          if (a == null || b == null) {
            out.add("acknowledged txn #" + t.id() + " lacks " + (a == null ? t.keyA() : "") + " "
                + (b == null ? t.keyB() : "") + " in kv_changelog");
          } else if (a.version() != t.versionA() || b.version() != t.versionB()
              || !Objects.equals(a.txnId(), b.txnId())) {
            out.add("acknowledged txn #" + t.id() + " archived as " + a + " and " + b);
          }
        }
        case UNKNOWN -> {
          unknown++;
          if ((a == null) != (b == null)) {
            out.add("txn #" + t.id() + " of unknown outcome archived in part: " + (a != null ? a : b));
          } else if (a != null && (a.version() != b.version() || !Objects.equals(a.txnId(), b.txnId()))) {
            out.add("txn #" + t.id() + " of unknown outcome archived as " + a + " and " + b);
          }
        }
        default -> {
          refused++;
          if (a != null || b != null) {
            out.add("txn #" + t.id() + " refused (" + t.outcome() + ") but archived: " + (a != null ? a : b));
          }
        }
      }
    }
    return new Result(txns.size(), ok, refused, unknown, out);
  }
}
