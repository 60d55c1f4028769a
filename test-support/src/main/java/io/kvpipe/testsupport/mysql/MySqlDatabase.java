package io.kvpipe.testsupport.mysql;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
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
