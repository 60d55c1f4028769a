package io.kvpipe.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.client.meta.MetaClient;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.load.KeyModel;
import io.kvpipe.testsupport.load.KvHttp;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlExtension;
import io.kvpipe.testsupport.tls.TestTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A group's life cycle at its edges, with the whole pipeline and no background load (a few keys written where each
 * step needs them): a group drained while Kafka is down keeps its replicas until every change it acknowledged is
 * published, and nodes keep a removed group's replicas while they hold unpublished changes. Every acknowledged write
 * of the class must end in kv_changelog exactly once.
 */
@ExtendWith(MySqlExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GroupLifecycleIT {
  static final Duration WAIT = Duration.ofSeconds(120);
  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

  @TempDir static Path dir;
  SystemStack stack;
  MySqlDatabase db;
  AdminApi admin;
  KvHttp data;
  final List<KeyModel.Ack> acks = new CopyOnWriteArrayList<>();
  int written;

  @BeforeAll
  void start(MySqlDatabase database) throws Exception {
    db = database;
    stack = SystemStack.builder(dir).groups("g1", "g2").proxies("a").pipeline(KAFKA.bootstrapServers(), db).start();
    admin = new AdminApi(stack.proxy("a").admin());
    data = stack.proxy("a").data();
  }

  @AfterAll
  void stop() throws Exception {
    if (KAFKA.broker() != null && !KAFKA.broker().isRunning()) {
      KAFKA.broker().restart();
    }
    if (stack != null) {
      stack.close();
    }
  }

  /** {@code n} new keys the current ring gives to {@code group}. */
  List<String> keysOwnedBy(String group, int n) {
    SystemStack.Shards shards = stack.shards(admin);
    HashRing ring = HashRing.of(shards.ring(), shards.vnodes());
    List<String> out = new ArrayList<>();
    while (out.size() < n) {
      String k = "life-" + written++;
      if (ring.groupFor(k.getBytes(StandardCharsets.UTF_8)).equals(group)) {
        out.add(k);
      }
    }
    return out;
  }

  void put(String key, String value) throws Exception {
    KvHttp.Response r = data.put(key, value.getBytes(StandardCharsets.UTF_8));
    assertThat(r.ok()).as("PUT " + key + ": " + r.status() + " " + r.bodyText()).isTrue();
    acks.add(new KeyModel.Ack(key, r.version(), false));
  }

  void awaitArchived() {
    SystemStack.Shards shards = stack.shards(admin);
    Poll.until("the pipeline to be idle", WAIT, Duration.ofMillis(250), () -> stack.pipelineIdle(shards));
  }

  @Test
  @Order(1)
  void aGroupDrainedWhileKafkaIsDownIsRemovedOnlyOnceItsChangesArePublished() throws Exception {
    admin.awaitDone(admin.addGroup("g3", stack.corePeers(), 0, 500).id(), WAIT, v -> { });
    List<String> keys = keysOwnedBy("g3", 30);
    for (String k : keys.subList(0, 10)) {
      put(k, "before-outage");
    }
    KAFKA.broker().stop();
    // Acknowledged while the broker is down: they wait in g3's outbox.
    for (String k : keys) {
      put(k, "during-outage");
    }

    MigrationView drain = admin.removeGroup("g3");
    MigrationView seen = Poll.forValue("the drain to wait for g3's change events, or to end", WAIT, () -> {
      MigrationView v = admin.migration(drain.id());
      return v.finished() || (v.waitingFor() != null && v.waitingFor().contains("g3")) ? v : null;
    });
    boolean removedWhileKafkaDown = seen.finished();
    boolean g3StillThere = stack.shards(admin).peers().containsKey("g3");

    KAFKA.broker().restart();
    admin.awaitDone(drain.id(), WAIT, v -> { });
    assertThat(stack.shards(admin).peers()).as("groups after the drain").doesNotContainKey("g3");
    awaitArchived();
    assertThat(ArchiveCheck.acksArchivedOnce(db, acks)).as("acknowledged writes archived exactly once").isEmpty();
    assertThat(removedWhileKafkaDown).as("the drain ended while g3's changes were unpublished: " + seen).isFalse();
    assertThat(g3StillThere).as("g3 in the topology while its changes wait for Kafka").isTrue();
  }

  /**
   * Nodes guard the same rule on their own, whoever removed the group from the topology: g4 joins the topology off
   * the ring (a new group owns every key at epoch 1 until a migration fences it, so a direct client can write to it),
   * takes a write while Kafka is down, and is then removed straight through the meta group.
   */
  @Test
  @Order(2)
  void nodesKeepTheReplicasOfARemovedGroupUntilItsChangesArePublished() throws Exception {
    stack.nodes().trackGroup("g4", RaftGroupId.valueOf(GroupIds.uuidOf("g4")));
    List<String> nodes = List.of("n1", "n2", "n3");
    try (MetaClient meta = new MetaClient(stack.corePeers().stream().map(Peer::parse).toList(),
        Duration.ofSeconds(10), TestTls.cluster().raftTls())) {
      meta.submitAndWait(new MetaCommand.AddGroup(ShardGroup.parse("g4=" + String.join(",", stack.corePeers())),
          null, System.currentTimeMillis()));
      ShardGroupClient g4 = stack.group("g4", stack.corePeers());
      Poll.until("g4 created on every node", WAIT, () -> nodes.stream().allMatch(n -> stack.nodes().hosts(n, "g4")));
      KAFKA.broker().stop();
      Reply.Written w = Poll.forValue("a write to g4", WAIT, () -> g4.put("orphan-1", "x".getBytes()));
      acks.add(new KeyModel.Ack("orphan-1", w.version(), false));

      meta.submitAndWait(new MetaCommand.RemoveGroup("g4", null, System.currentTimeMillis()));
      Poll.until("every node to refuse to drop g4, or one to drop it", WAIT, () ->
          nodes.stream().anyMatch(n -> !stack.nodes().hosts(n, "g4"))
              || nodes.stream().allMatch(n -> log(n).contains("refusing to remove its replica of group g4")));
      assertThat(nodes).as("nodes hosting g4 while its change is unpublished")
          .allMatch(n -> stack.nodes().hosts(n, "g4"));

      KAFKA.broker().restart();
      Poll.until("every node to drop g4 once its change is published", WAIT,
          () -> nodes.stream().noneMatch(n -> stack.nodes().hosts(n, "g4")));
    }
    awaitArchived();
    assertThat(ArchiveCheck.acksArchivedOnce(db, acks)).as("acknowledged writes archived exactly once").isEmpty();
  }

  String log(String node) {
    try {
      return Files.readString(stack.nodes().process(node).logFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
