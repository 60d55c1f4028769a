package io.kvpipe.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.load.LoadSettings;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlExtension;
import io.kvpipe.testsupport.tls.TestTls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under the checking load: a fourth kv-node (hosting nothing at first) joins g1 as a replica, then n1 leaves g1.
 * Clients see nothing; nothing acknowledged is lost; the new replica holds every record of g1.
 */
@ExtendWith(MySqlExtension.class)
class MembershipChangeIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();

  @TempDir Path dir;

  @Test
  void replacingAReplicaUnderLoadLosesNothing(MySqlDatabase db) throws Exception {
    try (SystemStack stack = SystemStack.builder(dir).groups("g1", "g2").proxies("a").spareNodes(1)
        .pipeline(KAFKA.bootstrapServers(), db).start()) {
      Scenario s = new Scenario(stack, "a", LoadSettings.defaults(), Scenario.MIGRATION_BALLAST);
      AdminApi admin = s.admin("a");
      s.fillAndStart("a");
      s.awaitMoreAcks(200);

      String n4 = stack.spareAddress("n4");
      MigrationView add = admin.addPeer("g1", n4);
      s.log("add-peer started: %s", add);
      assertThat(add.kind()).isEqualTo("add-peer");
      s.log("add-peer done: %s", admin.awaitDone(add.id(), Scenario.WAIT, v -> { }));
      s.awaitMoreAcks(100);

      MigrationView remove = admin.removePeer("g1", "n1");
      s.log("remove-peer started: %s", remove);
      assertThat(remove.kind()).isEqualTo("remove-peer");
      s.log("remove-peer done: %s", admin.awaitDone(remove.id(), Scenario.WAIT, v -> { }));

      Poll.until("n1 to leave g1", Scenario.WAIT, Duration.ofMillis(500), () -> !stack.nodes().hosts("n1", "g1"));
      List<String> g1Peers = stack.shards(admin).peers().get("g1");
      assertThat(g1Peers).as("g1's replicas").extracting(p -> p.substring(0, p.indexOf('@')))
          .containsExactlyInAnyOrder("n2", "n3", "n4");

      s.awaitMoreAcks(200);
      s.stopAndVerify("a", Double.NaN);

      // The new replica applied everything g1 holds: read each of g1's records from n4 alone (stale read).
      StoreContents store = StoreContents.scan(stack, stack.shards(admin));
      List<Map.Entry<String, StoreContents.Placed>> g1Records = new ArrayList<>();
      store.byKey().forEach((k, l) -> l.stream().filter(p -> p.group().equals("g1"))
          .forEach(p -> g1Records.add(Map.entry(k, p))));
      assertThat(g1Records).as("g1 records").isNotEmpty();
      try (ShardGroupClient onN4 = ShardGroupClient.builder("g1", PeerAddress.parseList(n4)).tls(TestTls.cluster().raftTls())
          .operationTimeout(Duration.ofSeconds(10)).build()) {
        Poll.until("n4 to hold all " + g1Records.size() + " records of g1", Scenario.WAIT, Duration.ofMillis(500),
            () -> g1Records.stream().allMatch(e -> onN4.readRecordAsync(e.getKey(), true).join()
                .map(r -> r.version() == e.getValue().version()).orElse(false)));
      }
    }
  }
}
