package io.kvpipe.consumer;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/** The HikariCP pool to the archive database, with the driver settings the writer's speed and correctness rely on. */
public final class ArchiveDataSource {
  private ArchiveDataSource() {}

  public static HikariDataSource create(String jdbcUrl, String user, String password, int poolSize) {
    return create(jdbcUrl, user, password, poolSize, java.util.Map.of());
  }

  /** @param driverProperties the deployment's extra driver properties (TLS, timeouts...), applied over kvpipe's */
  public static HikariDataSource create(String jdbcUrl, String user, String password, int poolSize,
                                        java.util.Map<String, String> driverProperties) {
    return create(jdbcUrl, user, password, poolSize, driverProperties, false);
  }

  /** @param changelogLoad lets the driver send the files of {@link ChangelogLoad} (its directory, nothing else) */
  public static HikariDataSource create(String jdbcUrl, String user, String password, int poolSize,
                                        java.util.Map<String, String> driverProperties, boolean changelogLoad) {
    return create(jdbcUrl, user, password, poolSize, driverProperties, changelogLoad, null);
  }

  /** @param registry where the pool's meters go (hikaricp_*: connections, waits, timeouts), or null for none */
  public static HikariDataSource create(String jdbcUrl, String user, String password, int poolSize,
                                        java.util.Map<String, String> driverProperties, boolean changelogLoad,
                                        io.micrometer.core.instrument.MeterRegistry registry) {
    HikariConfig c = new HikariConfig();
    if (registry != null) {
      c.setMetricsTrackerFactory(new com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory(registry));
    }
    c.setPoolName("kvpipe-archive");
    c.setJdbcUrl(jdbcUrl);
    c.setUsername(user);
    c.setPassword(password);
    c.setMaximumPoolSize(poolSize);
    c.setMinimumIdle(1);
    c.setAutoCommit(false);
    c.setConnectionTimeout(5_000);
    // A pool that cannot connect at start is not fatal: the consumer retries with backoff like any outage.
    c.setInitializationFailTimeout(-1);
    c.addDataSourceProperty("rewriteBatchedStatements", "true");
    c.addDataSourceProperty("cachePrepStmts", "true");
    // Server-side prepared statements: values travel in binary, not hex-escaped inside a huge SQL text, which measured
    // about half the client CPU of the multi-row writes and less server parsing. Statements stay cached per connection.
    c.addDataSourceProperty("useServerPrepStmts", "true");
    c.addDataSourceProperty("prepStmtCacheSize", "64");
    c.addDataSourceProperty("prepStmtCacheSqlLimit", "1000000"); // multi-row statements are long
    c.addDataSourceProperty("useLocalSessionState", "true");
    c.addDataSourceProperty("elideSetAutoCommits", "true");
    // The changelog's LOAD DATA LOCAL (ChangelogLoad): the driver sends files only from the consumer's private
    // directory, never anything a server asks for elsewhere (as allowLoadLocalInfile=true would).
    if (changelogLoad) {
      ChangelogLoad.driverProperties().forEach(c::addDataSourceProperty);
    }
    c.addDataSourceProperty("connectTimeout", "5000");
    c.addDataSourceProperty("socketTimeout", "120000");
    c.addDataSourceProperty("tcpKeepAlive", "true");
    // Strict mode: a value that does not fit fails the statement instead of being silently cut.
    driverProperties.forEach(c::addDataSourceProperty);
    c.setConnectionInitSql("SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'");
    return new HikariDataSource(c);
  }
}
