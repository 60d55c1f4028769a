package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code kvctl migrations watch} without an id follows every migration in flight until none is, and exits 1 if one of
 * them ended failed or cancelled (docs/scaling.md), not only when it watched that one by id. The proxy is a stub (a
 * plain JDK HTTP server): its first answer lists m1 copying, later ones list m1 cancelled.
 */
class MigrationsWatchTest {
  private final HttpServer proxy = start();
  private final AtomicInteger lists = new AtomicInteger();

  private static HttpServer start() {
    try {
      HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      s.start();
      return s;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @AfterEach
  void stop() {
    proxy.stop(0);
  }

  private void answer(String path, java.util.function.Supplier<String> body) {
    proxy.createContext(path, ex -> {
      byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
  }

  private static String migration(String phase) {
    return "{\"id\":\"m1\",\"kind\":\"add-group\",\"phase\":\"" + phase + "\",\"sourceGroups\":[\"g1\"],"
        + "\"targetGroups\":[\"g3\"],\"keysCopied\":10,\"keysTotal\":100,\"keysPerSecond\":5,\"etaSeconds\":18}";
  }

  private KvctlRun watch(String endPhase) {
    answer("/api/migrations/m1", () -> migration(endPhase));
    answer("/api/migrations", () -> "{\"migrations\":[" + migration(lists.getAndIncrement() == 0 ? "copying" : endPhase)
        + "]}");
    return KvctlRun.of("migrations", "watch", "--interval-ms", "50", "--timeout-s", "30",
        "--proxy", "http://127.0.0.1:" + proxy.getAddress().getPort(), "--token", "data-token-1");
  }

  @Test
  void aWatchedMigrationThatEndsCancelledIsAFailure() {
    KvctlRun r = watch("cancelled");
    assertThat(r.out()).contains("m1 copying");
    assertThat(r.exitCode()).as(r.out() + r.err()).isEqualTo(ExitCodes.FOUND_PROBLEMS);
    assertThat(r.err()).contains("migration m1 ended cancelled");
  }

  @Test
  void aWatchedMigrationThatEndsDoneIsASuccess() {
    KvctlRun r = watch("done");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("m1 copying").contains("m1 done");
  }
}
