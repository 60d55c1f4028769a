package io.kvpipe.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.testsupport.Poll;
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
 * g1, g2, g3 → drain and remove g3 under the checking load with the whole pipeline: its third of the keys moves to
 * g1 and g2, g3 leaves the ring and the topology, and nothing acknowledged is lost from the store or the archive
 * (including client changes still in g3's outbox when it was fenced).
 */
@ExtendWith(MySqlExtension.class)
class MigrationRemoveGroupIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();

  @TempDir Path dir;

  @Test
  void removingAGroupUnderLoadMovesItsKeysAndLosesNothing(MySqlDatabase db) throws Exception {
    try (SystemStack stack = SystemStack.builder(dir).groups("g1", "g2", "g3").proxies("a")
        .pipeline(KAFKA.bootstrapServers(), db).start()) {
      Scenario s = new Scenario(stack, "a", LoadSettings.defaults(), Scenario.MIGRATION_BALLAST);
      AdminApi admin = s.admin("a");
      s.fillAndStart("a");
      s.awaitMoreAcks(200);

      MigrationView started = admin.removeGroup("g3");
      s.log("remove-group started: %s", started);
      assertThat(started.kind()).isEqualTo("remove-group");
      MigrationView done = admin.awaitDone(started.id(), Scenario.WAIT, v -> { });
      s.log("remove-group done: %s", done);
      // The proxy answers /shards from its cached topology, up to one poll behind the migration record.
      SystemStack.Shards shards = Poll.forValue("g3 gone from the proxy's topology", Scenario.WAIT, () -> {
        SystemStack.Shards now = stack.shards(admin);
        return now.peers().containsKey("g3") ? null : now;
      });
      assertThat(shards.ring()).containsExactlyInAnyOrder("g1", "g2");

      s.awaitMoreAcks(200);
      s.stopAndVerify("a", 1.0 / 3);
    }
  }
}
