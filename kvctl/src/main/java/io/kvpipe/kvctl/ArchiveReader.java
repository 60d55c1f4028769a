package io.kvpipe.kvctl;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** Reads every row of the archive's {@code kv_current} (key bytes, version, deleted flag). */
final class ArchiveReader {
  private ArchiveReader() {}

  static List<KeyState> currentRows(MysqlOptions mysql) {
    String url = mysql.jdbcUrl();
    try (Connection c = mysql.connect(url);
         PreparedStatement st = c.prepareStatement("SELECT kv_key, version, deleted FROM kv_current",
             ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY)) {
      st.setFetchSize(Integer.MIN_VALUE); // Connector/J: stream rows instead of buffering the whole table
      List<KeyState> rows = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          rows.add(new KeyState(KeyState.keyOf(rs.getBytes(1)), rs.getLong(2), rs.getInt(3) != 0));
        }
      }
      return rows;
    } catch (SQLException e) {
      throw new KvctlException(ExitCodes.SERVER_ERROR, "cannot read kv_current from " + url + " as " + mysql.user()
          + ": " + e.getMessage(), e);
    }
  }
}
