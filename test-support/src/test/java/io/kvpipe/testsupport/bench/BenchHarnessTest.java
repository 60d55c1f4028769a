package io.kvpipe.testsupport.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchHarnessTest {
  @Test
  void percentilesAreExact() {
    LatencyRecorder r = new LatencyRecorder(1000);
    for (int i = 1; i <= 1000; i++) {
      r.record(i * 1_000_000L);
    }
    LatencyRecorder.Percentiles p = r.percentiles();
    assertThat(p.p50()).isEqualTo(500.0);
    assertThat(p.p99()).isEqualTo(990.0);
    assertThat(p.p999()).isEqualTo(999.0);
    assertThat(p.max()).isEqualTo(1000.0);
  }

  @Test
  void closedLoopKeepsAtMostConcurrencyInFlightAndCountsErrors() throws Exception {
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    AtomicInteger calls = new AtomicInteger();
    ClosedLoop loop = new ClosedLoop("t", 4, Duration.ofMillis(300), c -> {
      int now = inFlight.incrementAndGet();
      maxInFlight.accumulateAndGet(now, Math::max);
      int n = calls.incrementAndGet();
      return CompletableFuture.runAsync(() -> {
        inFlight.decrementAndGet();
        if (n % 10 == 0) {
          throw new IllegalStateException("boom");
        }
      }, CompletableFuture.delayedExecutor(1, java.util.concurrent.TimeUnit.MILLISECONDS));
    }, new PrintStream(OutputStream.nullOutputStream()));
    ClosedLoop.Result result = loop.run();
    assertThat(maxInFlight.get()).isLessThanOrEqualTo(4);
    assertThat(result.ops() + result.errors()).isEqualTo(calls.get());
    assertThat(result.errors()).isEqualTo(calls.get() / 10);
    assertThat(result.lastError()).contains("boom");
  }

  @Test
  void reportIsJsonWithMachineInfo(@TempDir Path dir) throws Exception {
    Path file = new JsonReport("unit").put("phases", List.of(JsonReport.map("a", 1.5, "q", "x\"y"))).write(dir);
    String json = Files.readString(file);
    assertThat(json).contains("\"benchmark\": \"unit\"", "\"cores\":", "\"handoff_round_trip_us\":", "\"q\": \"x\\\"y\"", "\"a\": 1.5");
  }

  @Test
  void openLoopHoldsTheRateAndReportsWhatTheCapSkipped() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    OpenLoop.Result fast = new OpenLoop("fast", 1000, Duration.ofMillis(500), 100, seq -> {
      calls.incrementAndGet();
      return CompletableFuture.completedFuture(null);
    }, new PrintStream(OutputStream.nullOutputStream())).run();
    assertThat(fast.issued()).isEqualTo(calls.get()).isBetween(400L, 520L);
    assertThat(fast.skipped()).isZero();

    // Nothing completes until well after the loop's 2 s: the cap must hold, and every due operation past it be counted
    // as skipped. (With 500 ms and the answer scheduled at start, a loop thread starved on a loaded box issued only 9.)
    CompletableFuture<Void> never = new CompletableFuture<>();
    var answers = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r);
      t.setDaemon(true);
      return t;
    });
    AtomicInteger firstCalls = new AtomicInteger();
    OpenLoop.Result capped = new OpenLoop("capped", 1000, Duration.ofSeconds(2), 10, seq -> {
      if (firstCalls.getAndIncrement() == 0) {
        answers.schedule(() -> never.complete(null), 2_500, java.util.concurrent.TimeUnit.MILLISECONDS);
      }
      return never;
    }, new PrintStream(OutputStream.nullOutputStream())).run();
    assertThat(capped.issued()).isEqualTo(10);
    assertThat(capped.skipped()).isGreaterThan(1_500);
    assertThat(capped.ok()).isEqualTo(10);
  }
}
