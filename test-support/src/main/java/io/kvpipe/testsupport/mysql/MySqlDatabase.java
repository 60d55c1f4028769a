package io.kvpipe.testsupport.mysql;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** A fresh, uniquely named database on a {@link MySqlServer}, dropped by {@link #close()}. Immutable. */
public final class MySqlDatabase implements AutoCloseable {
  private final MySqlServer server;
  private final String name;

  private MySqlDatabase(MySqlServer server, String name) {
    this.server = server;
    this.name = name;
  }

  /** Creates {@code kvt_<hint>_<random>} (server default character set utf8mb4, default collation). */
  public static MySqlDatabase create(MySqlServer server, String hint) {
    String clean = hint.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    clean = clean.substring(0, Math.min(clean.length(), 40));
    String name = "kvt_" + clean + "_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffL);
    try (Connection c = DriverManager.getConnection(server.serverJdbcUrl(), server.user(), server.password());
         Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name + " on " + server.description(), e);
    }
    return new MySqlDatabase(server, name);
  }

  public MySqlServer server() {
    return server;
  }

  public String name() {
    return name;
  }

  public String jdbcUrl() {
    return server.jdbcUrl(name);
  }

  /** {@link #jdbcUrl()} plus extra driver parameters, e.g. {@code "rewriteBatchedStatements=true"}. */
  public String jdbcUrl(String extraParams) {
    String url = jdbcUrl();
    return url + (url.contains("?") ? "&" : "?") + extraParams;
  }

  public String user() {
    return server.user();
  }

  public String password() {
    return server.password();
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), user(), password());
  }

  /**
   * The server's version and the settings a write-rate figure depends on (how commits reach the disk, InnoDB's
   * sizing, the binary log), and the extra server options of this run: for a benchmark's JSON.
   */
  public Map<String, Object> serverSettings() throws SQLException {
    Map<String, Object> m = new LinkedHashMap<>();
    try (Connection c = connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT VERSION(), @@innodb_flush_log_at_trx_commit, @@innodb_buffer_pool_size,"
             + " @@innodb_log_file_size, @@innodb_flush_neighbors, @@log_bin, @@sync_binlog")) {
      rs.next();
      m.put("db_version", rs.getString(1));
      m.put("db_innodb_flush_log_at_trx_commit", rs.getInt(2));
      m.put("db_innodb_buffer_pool_bytes", rs.getLong(3));
      m.put("db_innodb_log_file_bytes", rs.getLong(4));
      m.put("db_innodb_flush_neighbors", rs.getInt(5));
      m.put("db_log_bin", rs.getInt(6));
      m.put("db_sync_binlog", rs.getLong(7));
      m.put("db_extra_server_args", System.getenv().getOrDefault(LocalMySqlServer.EXTRA_ARGS_ENV, ""));
    }
    return m;
  }

  @Override
  public void close() {
    try (Connection c = DriverManager.getConnection(server.serverJdbcUrl(), server.user(), server.password());
         Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS `" + name + "`");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot drop database " + name, e);
    }
  }

  @Override
  public String toString() {
    return name + " on " + server.description();
  }
}
