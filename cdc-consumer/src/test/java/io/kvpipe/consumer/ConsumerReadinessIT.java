package io.kvpipe.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.Ports;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlServer;
import io.kvpipe.testsupport.mysql.MySqlServers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The consumer's {@code /health} and {@code /ready} against a real broker and a real MySQL-compatible server: ready once
 * it joined its group with the database answering; not ready, naming the database, while the database is unreachable
 * (a consumer given a dead address; and, when the server is a throwaway one, while it is stopped, ready again after).
 */
class ConsumerReadinessIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  private MySqlDatabase db;
  private String topic;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void setUp(TestInfo info) {
    db = MySqlDatabase.create(MySqlServers.shared(), info.getTestMethod().orElseThrow().getName());
    topic = "kv.changes." + db.name();
    KafkaTopics.create(KAFKA.bootstrapServers(), 2, topic, topic + ".dlq");
  }

  @AfterEach
  void tearDown() {
    db.server().start(); // a no-op unless the test left it stopped
    db.close();
  }

  private record Reply(int status, JsonNode body) {}

  @Test
  void readyNeedsTheGroupAndTheDatabase() throws Exception {
    int port = Ports.freePort();
    try (Running consumer = new Running(port, db.jdbcUrl(), "true")) {
      assertThat(get(port, "/health").status()).isEqualTo(200);
      Poll.until("consumer ready", WAIT, () -> get(port, "/ready").status() == 200);
      JsonNode checks = get(port, "/ready").body().path("checks");
      assertThat(checks.path("kafka-group").path("detail").asText()).isEqualTo("2 partition(s) assigned");
      assertThat(checks.path("database").path("ok").asBoolean()).isTrue();

      MySqlServer server = db.server();
      if (server.restartable()) {
        server.stop();
        Poll.until("not ready while the database is down", WAIT, () -> {
          Reply r = get(port, "/ready");
          return r.status() == 503 && !r.body().path("checks").path("database").path("ok").asBoolean(true);
        });
        server.start();
        Poll.until("ready again", WAIT, () -> get(port, "/ready").status() == 200);
      }
    }
    // A database nobody answers at: joined, but not ready, and the body says why.
    int port2 = Ports.freePort();
    String dead = "jdbc:mysql://127.0.0.1:" + Ports.freePort() + "/nothing";
    try (Running consumer = new Running(port2, dead, "false")) {
      Poll.until("joined its group", WAIT, () -> get(port2, "/ready").body().path("checks").path("kafka-group")
          .path("ok").asBoolean());
      Reply r = get(port2, "/ready");
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.body().path("status").asText()).isEqualTo("not ready");
      assertThat(r.body().path("problems").get(0).asText()).startsWith("database: archive database unreachable");
    }
  }

  /** A consumer on a thread of this JVM. */
  private final class Running implements AutoCloseable {
    final ArchiveService service;
    final CompletableFuture<Void> done = new CompletableFuture<>();

    Running(int metricsPort, String jdbcUrl, String flyway) throws Exception {
      List<String> flags = new ArrayList<>(List.of("--kafka-bootstrap", KAFKA.bootstrapServers(), "--topic", topic,
          "--dlq-topic", topic + ".dlq", "--group-id", "archive-" + topic + "-" + metricsPort,
          "--session-timeout-ms", "6000", "--jdbc-url", jdbcUrl, "--jdbc-user", db.user(), "--jdbc-password",
          db.password(), "--metrics-port", Integer.toString(metricsPort), "--max-backoff-ms", "1000",
          "--flyway", flyway));
      service = new ArchiveService(ConsumerConfig.parse(flags.toArray(String[]::new), Map.of()));
      Thread.ofPlatform().name("archive-under-test").start(() -> {
        try (service) {
          service.run();
          done.complete(null);
        } catch (Throwable e) {
          done.completeExceptionally(e);
        }
      });
    }

    @Override
    public void close() throws Exception {
      service.stop();
      done.get(60, TimeUnit.SECONDS);
    }
  }

  private Reply get(int port, String path) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), JSON.readTree(r.body()));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
