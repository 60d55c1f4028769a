package io.kvpipe.testsupport.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class MySqlServersTest {
  private record Named(String description) implements MySqlServer {
    @Override public String serverJdbcUrl() { return "jdbc:mysql://x/"; }
    @Override public String jdbcUrl(String database) { return serverJdbcUrl() + database; }
    @Override public String user() { return "root"; }
    @Override public String password() { return ""; }
  }

  private final MySqlServer local = new Named("local");
  private final MySqlServer container = new Named("testcontainers");
  private final AtomicInteger containerStarts = new AtomicInteger();
  private final Supplier<MySqlServer> countedContainer = () -> {
    containerStarts.incrementAndGet();
    return container;
  };

  @Test
  void aLocalServerIsPreferredToAnEngineThatAnswers() {
    // An engine that answers may have no registry to pull from: Testcontainers then retries for minutes.
    assertThat(MySqlServers.choose(Map.of(), () -> true, () -> true, countedContainer, () -> local)).isSameAs(local);
    assertThat(containerStarts).hasValue(0);
  }

  @Test
  void withoutALocalServerAnAnsweringEngineIsUsedAndAFailedStartFallsBack() {
    assertThat(MySqlServers.choose(Map.of(), () -> false, () -> true, countedContainer, () -> local))
        .isSameAs(container);
    MySqlServer chosen = MySqlServers.choose(Map.of(), () -> false, () -> true,
        () -> { throw new IllegalStateException("Failed to pull image mysql:8.4"); }, () -> local);
    assertThat(chosen).isSameAs(local);
    assertThat(MySqlServers.choose(Map.of("KVPIPE_TEST_DOCKER", "false"), () -> false, () -> true, countedContainer,
        () -> local)).isSameAs(local);
    assertThat(containerStarts).hasValue(1);
  }

  @Test
  void theContainerCanBeAskedForAndAUrlWinsOverEverything() {
    assertThat(MySqlServers.choose(Map.of("KVPIPE_TEST_DOCKER", "true"), () -> true, () -> false, countedContainer,
        () -> local)).isSameAs(container);
    MySqlServer env = MySqlServers.choose(Map.of("KVPIPE_TEST_JDBC_URL", "jdbc:mysql://db:3306/"), () -> true,
        () -> true, () -> { throw new AssertionError("no container expected"); }, () -> local);
    assertThat(env).isInstanceOf(EnvMySqlServer.class);
    assertThat(env.serverJdbcUrl()).startsWith("jdbc:mysql://db:3306");
  }
}
