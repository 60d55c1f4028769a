package io.kvpipe.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.load.LoadSettings;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * g1, g2 → add g3 (on the same three nodes) under the checking load with the whole pipeline: clients see no failure
 * and no stale read, nothing acknowledged is lost, about a third of the keys move to g3 and nothing else moves, and
 * the archive's current state equals the store with no row touched by a migration event.
 */
@ExtendWith(MySqlExtension.class)
class MigrationAddGroupIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();

  @TempDir Path dir;

  @Test
  void addingAGroupUnderLoadMovesAThirdAndLosesNothing(MySqlDatabase db) throws Exception {
    try (SystemStack stack = SystemStack.builder(dir).groups("g1", "g2").proxies("a")
        .pipeline(KAFKA.bootstrapServers(), db).start()) {
      Scenario s = new Scenario(stack, "a", LoadSettings.defaults(), Scenario.MIGRATION_BALLAST);
      AdminApi admin = s.admin("a");
      s.fillAndStart("a");
      s.awaitMoreAcks(200);

      MigrationView started = admin.addGroup("g3", stack.corePeers(), 0, 500);
      s.log("add-group started: %s", started);
      assertThat(started.kind()).isEqualTo("add-group");
      MigrationView done = admin.awaitDone(started.id(), Scenario.WAIT, v -> { });
      s.log("add-group done: %s", done);
      assertThat(done.toEpoch()).isGreaterThan(done.fromEpoch());
      assertThat(stack.shards(admin).ring()).containsExactlyInAnyOrder("g1", "g2", "g3");

      s.awaitMoreAcks(200);
      s.stopAndVerify("a", 1.0 / 3);
    }
  }
}
