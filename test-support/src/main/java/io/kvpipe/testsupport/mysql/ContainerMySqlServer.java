package io.kvpipe.testsupport.mysql;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.MySQLContainer;
import org.testcontainers.utility.DockerImageName;

/** MySQL 8.4 in a Testcontainers container; only loaded when a Docker engine answers. Stopped by Testcontainers' reaper. */
final class ContainerMySqlServer implements MySqlServer {
  static final String IMAGE = "mysql:8.4";
  private static final String PASSWORD = "kvpipe-test";

  private final MySQLContainer<?> container;

  private ContainerMySqlServer(MySQLContainer<?> container) {
    this.container = container;
  }

  /** Whether a Docker engine answers (Testcontainers' own probe; a fraction of a second when there is none). */
  static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  @SuppressWarnings("resource") // closed by Testcontainers' reaper at JVM exit
  static ContainerMySqlServer launch() {
    MySQLContainer<?> c = new MySQLContainer<>(DockerImageName.parse(IMAGE))
        .withUsername("root").withPassword(PASSWORD).withDatabaseName("kvpipe");
    c.start();
    return new ContainerMySqlServer(c);
  }

  @Override
  public String description() {
    return "testcontainers " + IMAGE;
  }

  @Override
  public String serverJdbcUrl() {
    return jdbcUrl("");
  }

  @Override
  public String jdbcUrl(String database) {
    return "jdbc:mysql://" + container.getHost() + ":" + container.getMappedPort(3306) + "/" + database
        + "?sslMode=DISABLED&allowPublicKeyRetrieval=true";
  }

  @Override
  public String user() {
    return "root";
  }

  @Override
  public String password() {
    return PASSWORD;
  }
}
