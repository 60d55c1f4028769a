package io.kvpipe.testsupport.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

class LocalMySqlServerIT {
  /** Benchmarks compare against a deployment's server: durable commits, and docker-compose.yml's InnoDB sizing. */
  @Test
  void durableServerHasTheDeploymentsSettings() throws SQLException {
    assumeTrue(LocalMySqlServer.findBinary().isPresent(), "no mariadbd/mysqld on this machine");
    assumeTrue(System.getenv().getOrDefault(LocalMySqlServer.EXTRA_ARGS_ENV, "").isBlank(),
        LocalMySqlServer.EXTRA_ARGS_ENV + " overrides the settings");
    LocalMySqlServer server = LocalMySqlServer.launch(true);
    try (Connection c = DriverManager.getConnection(server.serverJdbcUrl(), server.user(), server.password());
         Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT @@innodb_flush_log_at_trx_commit, @@innodb_buffer_pool_size,"
             + " @@innodb_log_file_size, @@innodb_flush_neighbors")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(1);
      assertThat(rs.getLong(2)).isEqualTo(1L << 30);
      assertThat(rs.getLong(3)).isEqualTo(1L << 30);
      assertThat(rs.getInt(4)).isZero();
    } finally {
      server.stop();
    }
  }
}
