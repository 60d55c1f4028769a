package io.kvpipe.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.load.LoadSettings;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlExtension;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two proxies; an add-group started through proxy A at a low throttle, A killed with SIGKILL mid-copy. Proxy B takes
 * the migration over when A's lease runs out and completes it from the cursor in the meta group. The load runs
 * through B all along, so clients must see nothing; every other check is the add-group scenario's.
 */
@ExtendWith(MySqlExtension.class)
class CoordinatorKillIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();

  @TempDir Path dir;

  @Test
  void anotherProxyFinishesAMigrationWhoseCoordinatorWasKilled(MySqlDatabase db) throws Exception {
    try (SystemStack stack = SystemStack.builder(dir).groups("g1", "g2").proxies("a", "b")
        .pipeline(KAFKA.bootstrapServers(), db).start()) {
      Scenario s = new Scenario(stack, "b", LoadSettings.defaults(), Scenario.MIGRATION_BALLAST);
      AdminApi viaA = s.admin("a");
      AdminApi viaB = s.admin("b");
      s.fillAndStart("b");
      s.awaitMoreAcks(200);

      // Slow enough that the copy is surely still running when A dies.
      MigrationView started = viaA.addGroup("g3", stack.corePeers(), 50, 20);
      s.log("add-group started through A: %s", started);
      MigrationView midCopy = Poll.forValue("the copy under way", Scenario.WAIT, () -> {
        MigrationView v = viaB.migration(started.id());
        return v.phase().equals("copying") && v.keysCopied() > 0 ? v : null;
      });
      stack.proxy("a").kill9();
      s.log("killed proxy A (kill -9) mid-copy: %s", midCopy);

      viaB.throttle(started.id(), 0, 500);
      MigrationView done = viaB.awaitDone(started.id(), Scenario.WAIT.plusSeconds(60), v -> { });
      s.log("add-group done after takeover: %s", done);
      if (midCopy.coordinator() != null && done.coordinator() != null) {
        assertThat(done.coordinator()).as("coordinator after the takeover").isNotEqualTo(midCopy.coordinator());
      }
      assertThat(done.keysCopied()).as("keys copied in all").isGreaterThanOrEqualTo(midCopy.keysCopied());
      assertThat(stack.shards(viaB).ring()).containsExactlyInAnyOrder("g1", "g2", "g3");

      s.awaitMoreAcks(200);
      s.stopAndVerify("b", 1.0 / 3);
      Poll.until("proxy A to stay dead", Duration.ofSeconds(1), () -> !stack.proxy("a").isAlive());
    }
  }
}
