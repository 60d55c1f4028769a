package io.kvpipe.testsupport.mysql;

import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Picks the one MySQL-compatible server of this test JVM, in order: a JDBC URL from {@code KVPIPE_TEST_JDBC_URL};
 * Testcontainers MySQL 8.4 if {@code KVPIPE_TEST_DOCKER=true}; a throwaway local {@code mariadbd}/{@code mysqld}
 * ({@link LocalMySqlServer}) if this machine has one (scripts/test.sh installs it); else Testcontainers if a Docker
 * engine answers (skip the probe with {@code KVPIPE_TEST_DOCKER=false}).
 *
 * <p>The local server comes before the engine because an engine that answers but has no registry to pull from (an
 * offline machine with a daemon running) keeps Testcontainers retrying its pulls for about seven minutes per test JVM
 * before it gives up (measured here: MySqlFixtureIT took 423 s instead of 10). If the container does fail to start,
 * the local server is tried, with a note on stderr.
 */
public final class MySqlServers {
  private static MySqlServer shared;

  private MySqlServers() {}

  public static synchronized MySqlServer shared() {
    if (shared == null) {
      shared = choose(System.getenv(), () -> LocalMySqlServer.findBinary().isPresent(), MySqlServers::dockerAvailable,
          ContainerMySqlServer::launch, () -> LocalMySqlServer.launch(false));
      System.err.println("kvpipe: MySQL for tests: " + shared.description());
    }
    return shared;
  }

  static MySqlServer choose(Map<String, String> env, BooleanSupplier localBinary, BooleanSupplier docker,
                            Supplier<? extends MySqlServer> container, Supplier<? extends MySqlServer> local) {
    String url = env.get(EnvMySqlServer.URL_ENV);
    if (url != null && !url.isBlank()) {
      return new EnvMySqlServer(url, env.getOrDefault(EnvMySqlServer.USER_ENV, "root"),
          env.getOrDefault(EnvMySqlServer.PASSWORD_ENV, ""));
    }
    String dockerChoice = env.getOrDefault("KVPIPE_TEST_DOCKER", "");
    boolean containerFirst = "true".equalsIgnoreCase(dockerChoice);
    if (!containerFirst && localBinary.getAsBoolean()) {
      return local.get();
    }
    if (containerFirst || (!"false".equalsIgnoreCase(dockerChoice) && docker.getAsBoolean())) {
      try {
        return container.get();
      } catch (RuntimeException e) {
        System.err.println("kvpipe: the MySQL container did not start (" + e + "); trying a local server");
      }
    }
    return local.get();
  }

  private static boolean dockerAvailable() {
    try {
      return ContainerMySqlServer.dockerAvailable();
    } catch (LinkageError e) { // Testcontainers not on this class path
      return false;
    }
  }
}
