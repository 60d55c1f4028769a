package io.kvpipe.testsupport.mysql;

/**
 * Picks the one MySQL-compatible server of this test JVM, in order: a JDBC URL from {@code KVPIPE_TEST_JDBC_URL};
 * Testcontainers MySQL 8.4 when a Docker engine answers (skip the probe with {@code KVPIPE_TEST_DOCKER=false}); a
 * throwaway local {@code mariadbd}/{@code mysqld} ({@link LocalMySqlServer}).
 */
public final class MySqlServers {
  private static MySqlServer shared;

  private MySqlServers() {}

  public static synchronized MySqlServer shared() {
    if (shared == null) {
      shared = choose();
      System.err.println("kvpipe: MySQL for tests: " + shared.description());
    }
    return shared;
  }

  private static MySqlServer choose() {
    String url = System.getenv(EnvMySqlServer.URL_ENV);
    if (url != null && !url.isBlank()) {
      return new EnvMySqlServer(url, System.getenv().getOrDefault(EnvMySqlServer.USER_ENV, "root"),
          System.getenv().getOrDefault(EnvMySqlServer.PASSWORD_ENV, ""));
    }
    if (!"false".equalsIgnoreCase(System.getenv("KVPIPE_TEST_DOCKER")) && dockerAvailable()) {
      return ContainerMySqlServer.launch();
    }
    return LocalMySqlServer.launch(false);
  }

  private static boolean dockerAvailable() {
    try {
      return ContainerMySqlServer.dockerAvailable();
    } catch (LinkageError e) { // Testcontainers not on this class path
      return false;
    }
  }
}
