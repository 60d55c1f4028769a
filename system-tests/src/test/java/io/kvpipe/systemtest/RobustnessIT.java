package io.kvpipe.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.testsupport.mysql.LocalMySqlServer;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The robustness suite's short run in the test suite (about 2-3 minutes): the whole pipeline under the checking
 * workload while a seeded nemesis kills and pauses kv-nodes and proxies, kills or pauses the broker, kills the
 * consumer (and mariadbd when a local one runs, and cuts kv-nodes off when namespaces can be made, as root), then
 * every check of {@link RobustnessRun}. The fault phase lasts until every one of those kinds and at least
 * {@link #MIN_FAULTS} faults have been injected (the nemesis deals the kinds in shuffled rounds, so that is its first
 * round, ~1 minute), and at least {@link #MIN_SECONDS}. Longer and other mixes:
 * {@code scripts/robustness.sh}. A failing run leaves its history, timeline and verdict under
 * {@code target/robustness-it/}; the same seed replays its fault schedule.
 */
class RobustnessIT {
  static final long SEED = 1212;
  static final int MIN_SECONDS = 40;
  static final int MIN_FAULTS = 5;

  @Test
  void faultsUnderTheCheckingWorkloadBreakNothing() throws Exception {
    Set<Nemesis.Kind> faults = EnumSet.of(Nemesis.Kind.KILL, Nemesis.Kind.PAUSE, Nemesis.Kind.KAFKA,
        Nemesis.Kind.CONSUMER);
    if (LocalMySqlServer.findBinary().isPresent()) {
      faults.add(Nemesis.Kind.MYSQL);
    }
    if (NodeNetwork.unavailableBecause() == null) {
      faults.add(Nemesis.Kind.PARTITION);
    }
    RobustnessRun.Options options = new RobustnessRun.Options(MIN_SECONDS, SEED, faults, null, 6, 5_000,
        Path.of("target", "robustness-it"), MIN_FAULTS);
    RobustnessRun.Verdict v = new RobustnessRun(options).run();

    assertThat(v.problems()).as("robustness problems (history, timeline and verdict in %s)", v.dir()).isEmpty();
    assertThat(v.lin().opsChecked()).as("operations checked").isGreaterThan(1_000);
    assertThat(v.availability().stream().mapToInt(Availability.PerKind::faults).sum()).as("faults injected")
        .isGreaterThanOrEqualTo(MIN_FAULTS);
    assertThat(v.availability().stream().filter(k -> k.faults() > 0).map(Availability.PerKind::kind))
        .as("fault kinds injected").containsAll(faults.stream().map(k -> k.name().toLowerCase()).toList());
  }
}
