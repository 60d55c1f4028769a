package io.kvpipe.systemtest;

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
 * The baseline the other scenarios change one thing of: the checking load through one proxy on g1, g2 with the whole
 * pipeline, and no cluster change. If this fails, the fixture or the load is wrong, not a migration.
 */
@ExtendWith(MySqlExtension.class)
class SteadyLoadIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();

  @TempDir Path dir;

  @Test
  void everyAcknowledgedWriteIsReadArchivedAndKept(MySqlDatabase db) throws Exception {
    try (SystemStack stack = SystemStack.builder(dir).groups("g1", "g2").proxies("a")
        .pipeline(KAFKA.bootstrapServers(), db).start()) {
      Scenario s = new Scenario(stack, "a", LoadSettings.defaults(), 0);
      s.fillAndStart("a");
      s.awaitMoreAcks(500);
      s.stopAndVerify("a", Double.NaN);
    }
  }
}
