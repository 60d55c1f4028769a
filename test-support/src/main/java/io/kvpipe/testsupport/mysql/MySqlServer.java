package io.kvpipe.testsupport.mysql;

/**
 * A MySQL-compatible server that tests may create databases on. One per test JVM ({@link MySqlServers#shared()}); test
 * classes each take their own {@link MySqlDatabase} on it. Implementations are thread-safe.
 */
public interface MySqlServer {
  /** Where the server came from: "env", "testcontainers" or "local" (plus the binary's version, when known). */
  String description();

  /** A JDBC URL of the server with no default database. */
  String serverJdbcUrl();

  /** A JDBC URL whose default database is {@code database}. */
  String jdbcUrl(String database);

  String user();

  String password();

  /** Whether {@link #stop()} and {@link #start()} are supported (only for a throwaway server this JVM started). */
  default boolean restartable() {
    return false;
  }

  /** Stops the server (clean shutdown); its port and data stay reserved for {@link #start()}. */
  default void stop() {
    throw new UnsupportedOperationException(description() + " cannot be stopped by tests");
  }

  /** Starts a stopped server again on the same port with the same data (no-op when running); waits until it is ready. */
  default void start() {
    throw new UnsupportedOperationException(description() + " cannot be started by tests");
  }
}
