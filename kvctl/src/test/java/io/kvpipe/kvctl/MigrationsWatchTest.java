package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code kvctl migrations watch} without an id follows every migration in flight until none is, and exits 1 if one of
 * them ended failed or cancelled (docs/scaling.md), not only when it watched that one by id. The proxy is a stub
 * ({@link JsonStub}): its first answer lists m1 copying, later ones list m1 cancelled.
 */
class MigrationsWatchTest {
  private final JsonStub proxy = new JsonStub();
  private final AtomicInteger lists = new AtomicInteger();

  @AfterEach
  void stop() {
    proxy.close();
  }

  private static String migration(String phase) {
    return "{\"id\":\"m1\",\"kind\":\"add-group\",\"phase\":\"" + phase + "\",\"sourceGroups\":[\"g1\"],"
        + "\"targetGroups\":[\"g3\"],\"keysCopied\":10,\"keysTotal\":100,\"keysPerSecond\":5,\"etaSeconds\":18}";
  }

  private KvctlRun watch(String endPhase) {
    proxy.answer("/api/migrations/m1", () -> migration(endPhase));
    proxy.answer("/api/migrations", () -> "{\"migrations\":["
        + migration(lists.getAndIncrement() == 0 ? "copying" : endPhase) + "]}");
    return KvctlRun.of("migrations", "watch", "--interval-ms", "50", "--timeout-s", "30",
        "--proxy", proxy.url(), "--token", "data-token-1");
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
