package io.kvpipe.testsupport.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(MySqlExtension.class)
class MySqlFixtureIT {
  private static MySqlDatabase db;

  @BeforeAll
  static void setUp(MySqlDatabase database) {
    db = database;
  }

  @Test
  void givesEachClassAFreshDatabaseAndDropsOthersOnClose() throws SQLException {
    assertThat(db.name()).startsWith("kvt_mysqlfixtureit_");
    try (Connection c = db.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT DATABASE()")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo(db.name());
    }
    MySqlDatabase other = MySqlDatabase.create(db.server(), "other");
    assertThat(other.name()).isNotEqualTo(db.name());
    other.close();
    assertThatThrownBy(other::connect).isInstanceOf(SQLException.class).hasMessageContaining("Unknown database");
  }

  @Test
  void keepsDataAcrossStopAndStartOnTheSamePort(MySqlServer server) throws SQLException {
    assumeTrue(server.restartable(), "only a throwaway server can be stopped by tests");
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB");
      s.execute("INSERT INTO t VALUES (1), (2)");
    }
    server.stop();
    assertThatThrownBy(db::connect).isInstanceOf(SQLException.class);
    server.start();
    try (Connection c = db.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM t")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(2);
    }
  }

  @Test
  void rewritesTheDatabaseOfAUrl() {
    assertThat(JdbcUrls.withDatabase("jdbc:mysql://h:3306/x?a=b", "y")).isEqualTo("jdbc:mysql://h:3306/y?a=b");
    assertThat(JdbcUrls.withDatabase("jdbc:mysql://h", "y")).isEqualTo("jdbc:mysql://h/y");
    assertThat(JdbcUrls.withDatabase("jdbc:mariadb://h:1/?p=1", "")).isEqualTo("jdbc:mariadb://h:1/?p=1");
    assertThatThrownBy(() -> JdbcUrls.withDatabase("jdbc:postgresql://h/x", "y"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
