package io.kvpipe.consumer;

import io.kvpipe.common.Versions;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A deterministic stream of client events (keys reused, some deletes) and the archive state it must end in; reads the
 * archive back to compare. Identity of event i: (group, i + 1).
 */
final class ArchiveCheck {
  record State(String value, boolean deleted, long version) {}

  record Counts(long rows, long distinctIdentities) {}

  private ArchiveCheck() {}

  static List<ChangeEvent> stream(String group, int events, int keys) {
    List<ChangeEvent> out = new ArrayList<>(events);
    for (int i = 0; i < events; i++) {
      long index = i + 1;
      String key = "key-" + (i % keys);
      long version = Versions.of(1, index);
      out.add(i % 7 == 6 ? Events.delete(group, index, key, version)
          : new ChangeEvent(i < keys ? Op.CREATE : Op.UPDATE, key, null, Events.b("value-" + i), Events.T0 + i, group,
              index, 1, 1, version, io.kvpipe.common.event.Origin.CLIENT));
    }
    return out;
  }

  static Map<String, State> expectedCurrent(List<ChangeEvent> events) {
    Map<String, State> m = new HashMap<>();
    for (ChangeEvent e : events) {
      State old = m.get(e.key());
      if (old == null || e.version() > old.version()) {
        m.put(e.key(), new State(e.after() == null ? null : new String(e.after(), StandardCharsets.UTF_8),
            e.op() == Op.DELETE, e.version()));
      }
    }
    return m;
  }

  static Counts counts(String url, String user, String password) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT COUNT(*), COUNT(DISTINCT group_id, log_index) FROM kv_changelog")) {
      rs.next();
      return new Counts(rs.getLong(1), rs.getLong(2));
    }
  }

  static long changelogRows(String url, String user, String password) {
    try {
      return counts(url, user, password).rows();
    } catch (SQLException e) {
      return -1; // table not created yet, or server down: the caller keeps polling
    }
  }

  static Map<String, State> current(String url, String user, String password) throws SQLException {
    Map<String, State> m = new HashMap<>();
    try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT kv_key, kv_value, deleted, version FROM kv_current")) {
      while (rs.next()) {
        byte[] v = rs.getBytes(2);
        m.put(new String(rs.getBytes(1), StandardCharsets.UTF_8),
            new State(v == null ? null : new String(v, StandardCharsets.UTF_8), rs.getBoolean(3), rs.getLong(4)));
      }
    }
    return m;
  }
}
