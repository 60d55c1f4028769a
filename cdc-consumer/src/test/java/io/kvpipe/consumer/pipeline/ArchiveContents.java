package io.kvpipe.consumer.pipeline;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.ScanCursor;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Reads the archive (kv_changelog, kv_current) and the store's records into comparable form. Stateless. */
final class ArchiveContents {
  /** One kv_changelog row. */
  /** One kv_changelog row; (group, logIndex, seq) is the event's identity. */
  record Row(String group, long logIndex, int seq, String op, String key, byte[] value, long version, String origin) {}

  private ArchiveContents() {}

  static List<Row> changelog(MySqlDatabase db) throws SQLException {
    List<Row> rows = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT group_id, log_index, event_seq, op, kv_key, kv_value, version, origin FROM kv_changelog ORDER BY id")) {
      while (rs.next()) {
        rows.add(new Row(rs.getString(1), rs.getLong(2), rs.getInt(3), rs.getString(4),
            new String(rs.getBytes(5), StandardCharsets.UTF_8), rs.getBytes(6), rs.getLong(7), rs.getString(8)));
      }
    }
    return rows;
  }

  /** kv_current as key → {@link #describe} of its record. */
  static Map<String, String> current(MySqlDatabase db) throws SQLException {
    Map<String, String> m = new TreeMap<>();
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT kv_key, kv_value, deleted, version FROM kv_current")) {
      while (rs.next()) {
        byte[] value = rs.getBytes(2);
        boolean deleted = rs.getBoolean(3);
        if (deleted != (value == null)) {
          throw new IllegalStateException("kv_current row with deleted=" + deleted + " and value " + value);
        }
        m.put(new String(rs.getBytes(1), StandardCharsets.UTF_8), describe(value, rs.getLong(4)));
      }
    }
    return m;
  }

  /** Every record of the store, tombstones included, in the same form as {@link #current}. */
  static Map<String, String> store(ShardGroupClient client) {
    Map<String, String> m = new TreeMap<>();
    ScanCursor cursor = null;
    do {
      Reply.ScanPage page = client.scan(HashRanges.FULL, cursor, 50);
      for (Entry e : page.entries()) {
        if (m.put(e.keyString(), describe(e.value(), e.version())) != null) {
          throw new IllegalStateException("the scan returned " + e.keyString() + " twice");
        }
      }
      cursor = page.next();
    } while (cursor != null);
    return m;
  }

  /** Version, tombstone flag, size and digest of a value: exact, yet readable in an assertion's diff. */
  static String describe(byte[] value, long version) {
    if (value == null) {
      return "v" + version + " deleted";
    }
    return "v" + version + " " + value.length + "B sha256:" + sha256(value);
  }

  static String sha256(byte[] value) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value)).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
