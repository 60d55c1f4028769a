package io.kvpipe.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.ring.HashRing;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.load.KeyModel;
import io.kvpipe.testsupport.load.KvHttp;
import io.kvpipe.testsupport.load.LoadDriver;
import io.kvpipe.testsupport.load.LoadReport;
import io.kvpipe.testsupport.load.LoadSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The skeleton every scenario shares: fill the keys through a proxy, snapshot where each key lives, run the checking
 * load while the scenario changes the cluster, stop, then check everything that must hold whatever happened: no
 * failed or stale client request, no acknowledged write lost (proxy and store both agree with the load's model),
 * each key in exactly the group the ring names, the fraction of keys moved, and with the pipeline, the archive.
 */
final class Scenario {
  static final Duration WAIT = Duration.ofSeconds(120);
  /** With these, a moved fraction is measured to about +-0.4% (one standard deviation). */
  static final int MIGRATION_BALLAST = 15_000;

  private final SystemStack stack;
  private final AtomicReference<KvHttp> loadProxy;
  private final LoadDriver load;
  private final int ballastKeys;
  private StoreContents before;
  private Ballast ballast;
  private final long t0 = System.nanoTime();

  /** @param ballastKeys keys bulk-loaded beside the load's (see {@link Ballast}); 0 for none */
  Scenario(SystemStack stack, String loadProxy, LoadSettings settings, int ballastKeys) {
    this.stack = stack;
    this.ballastKeys = ballastKeys;
    this.loadProxy = new AtomicReference<>(stack.proxy(loadProxy).data());
    this.load = new LoadDriver(this.loadProxy::get, settings);
  }

  AdminApi admin(String proxy) {
    return new AdminApi(stack.proxy(proxy).admin());
  }

  LoadDriver load() {
    return load;
  }

  /** Writes every key once, records where each lives, and starts the mixed load. */
  void fillAndStart(String adminProxy) throws Exception {
    SystemStack.Shards shards = stack.shards(admin(adminProxy));
    ballast = Ballast.load(stack, shards, ballastKeys, 100);
    log("bulk-loaded %d ballast keys", ballast.size());
    load.fill();
    log("filled %d keys: %s", load.keys().size(), load.report().summary());
    before = StoreContents.scan(stack, shards);
    load.start();
  }

  /** Waits until {@code n} more writes have been acknowledged (the load makes progress through a change). */
  void awaitMoreAcks(int n) {
    long target = load.acknowledged() + n;
    Poll.until(n + " more acknowledged writes", WAIT, Duration.ofMillis(100), () -> {
      assertThat(load.report().violations()).as("load violations so far: %s", load.report().problems()).isZero();
      return load.acknowledged() >= target;
    });
  }

  /**
   * Stops the load and checks the invariants. {@code expectedMovedFraction} NaN skips the moved-keys check (no
   * migration in the scenario).
   */
  void stopAndVerify(String viaProxy, double expectedMovedFraction) throws Exception {
    LoadReport report = load.stop();
    log("load: %s", report.summary());
    assertThat(report.problems()).as("client-visible violations").isEmpty();
    assertThat(report.puts() + report.deletes()).as("acknowledged writes").isGreaterThan(0);
    assertThat(report.gets()).as("reads").isGreaterThan(0);

    KvHttp via = stack.proxy(viaProxy).data();
    assertThat(load.verifyFinal(via)).as("final state through the proxy vs acknowledged writes").isEmpty();

    AdminApi admin = admin(viaProxy);
    SystemStack.Shards shards = stack.shards(admin);
    StoreContents after = StoreContents.scan(stack, shards);
    assertThat(after.duplicated()).as("keys held by more than one group").isEmpty();
    HashRing ring = HashRing.of(shards.ring(), shards.vnodes());
    assertThat(after.misplaced(ring)).as("keys outside the group the ring names").isEmpty();
    assertThat(storeVsModel(after, load.model())).as("store vs acknowledged writes").isEmpty();
    assertThat(ballast.missing(after)).as("bulk-loaded keys lost or changed").isEmpty();

    if (!Double.isNaN(expectedMovedFraction)) {
      double moved = movedFraction(before, after);
      log("moved fraction of live keys: %.3f (expected %.3f +- 0.05)", moved, expectedMovedFraction);
      assertThat(moved).as("fraction of keys that changed group").isBetween(expectedMovedFraction - 0.05,
          expectedMovedFraction + 0.05);
    }

    if (stack.hasPipeline()) {
      Poll.until("the pipeline to be idle (outboxes empty, every partition archived)", WAIT, Duration.ofMillis(250),
          () -> stack.pipelineIdle(shards));
      assertThat(ArchiveCheck.currentMatchesStore(stack.database(), after)).as("kv_current vs the store").isEmpty();
      assertThat(ArchiveCheck.rowsNotFromClientEvents(stack.database()))
          .as("kv_current rows changed by a migration event").isEmpty();
      assertThat(ArchiveCheck.acksArchivedOnce(stack.database(), load.model().acks()))
          .as("acknowledged writes archived exactly once").isEmpty();
      if (!Double.isNaN(expectedMovedFraction)) {
        long events = ArchiveCheck.migrationEvents(stack.database());
        log("archive: %d migration events", events);
        assertThat(events).as("migration events archived (history is complete)").isPositive();
      }
    }
    log("verified");
  }

  /** The store must hold each certain key's acknowledged state: the version and value, or a delete (or nothing). */
  static List<String> storeVsModel(StoreContents store, KeyModel model) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, KeyModel.State> e : model.snapshot().entrySet()) {
      KeyModel.State s = e.getValue();
      if (s.uncertain()) {
        continue;
      }
      StoreContents.Placed p = store.only(e.getKey());
      if (s.deleted()) {
        if (p != null && (!p.deleted() || p.version() != s.version())) {
          out.add(e.getKey() + " deleted at v" + s.version() + " but the store has " + p);
        }
      } else if (p == null || p.deleted() || p.version() != s.version()
          || !p.digest().equals(StoreContents.digest(s.value()))) {
        out.add(e.getKey() + " acknowledged at v" + s.version() + " but the store has " + p);
      }
    }
    return out;
  }

  /** Among keys live both before and after (ballast and the load's), the share whose group changed. */
  static double movedFraction(StoreContents before, StoreContents after) {
    int both = 0;
    int moved = 0;
    for (Map.Entry<String, List<StoreContents.Placed>> e : before.byKey().entrySet()) {
      StoreContents.Placed b = e.getValue().get(0);
      StoreContents.Placed a = after.only(e.getKey());
      if (b.deleted() || a == null || a.deleted()) {
        continue;
      }
      both++;
      if (!a.group().equals(b.group())) {
        moved++;
      }
    }
    assertThat(both).as("live keys before and after").isGreaterThan(100);
    return (double) moved / both;
  }

  void log(String format, Object... args) {
    System.out.printf("[%6.1fs] %s%n", (System.nanoTime() - t0) / 1e9, String.format(format, args));
  }
}
