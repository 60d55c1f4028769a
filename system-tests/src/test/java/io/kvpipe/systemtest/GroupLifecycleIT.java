package io.kvpipe.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.client.meta.MetaClient;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A group's life cycle at its edges, with the whole pipeline and no background load (a few keys written where each
 * step needs them): a group drained while Kafka is down keeps its replicas until every change it acknowledged is
 * published; nodes keep a removed group's replicas while they hold unpublished changes; a name drained and added
 * again is a new group, whose events and log never mix with the old one's, even on a node that was down meanwhile.
 * Every acknowledged write of the class must end in kv_changelog exactly once.
 */
@ExtendWith(MySqlExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GroupLifecycleIT {
  static final Duration WAIT = Duration.ofSeconds(120);
  static final List<String> NODES = List.of("n1", "n2", "n3");
  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

  // Kept when a test fails: the kv-node and proxy logs are there.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) static Path dir;
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
    MigrationView drain;
    MigrationView seen;
    boolean g3StillThere;
    try {
      // Acknowledged while the broker is down: they wait in g3's outbox.
      for (String k : keys) {
        put(k, "during-outage");
      }
      drain = admin.removeGroup("g3");
      seen = Poll.forValue("the drain to wait for g3's change events, or to end", WAIT, () -> {
        MigrationView v = admin.migration(drain.id());
        return v.finished() || (v.waitingFor() != null && v.waitingFor().contains("g3")) ? v : null;
      });
      g3StillThere = stack.shards(admin).peers().containsKey("g3");
    } finally {
      KAFKA.broker().restart();
    }
    boolean removedWhileKafkaDown = seen.finished();
    admin.awaitDone(drain.id(), WAIT, v -> { });
    Poll.until("g3 to leave the topology", WAIT, () -> !stack.shards(admin).peers().containsKey("g3"));
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
    try (MetaClient meta = new MetaClient(stack.corePeers().stream().map(Peer::parse).toList(),
        Duration.ofSeconds(10), TestTls.cluster().raftTls())) {
      meta.submitAndWait(new MetaCommand.AddGroup(ShardGroup.parse("g4=" + String.join(",", stack.corePeers())),
          null, System.currentTimeMillis()));
      String raftName = track("g4");
      ShardGroupClient g4 = stack.group(raftName, stack.corePeers());
      Poll.until("g4 created on every node", WAIT, () -> NODES.stream().allMatch(n -> stack.nodes().hosts(n, "g4")));
      String refused = "refusing to remove its replica of group " + raftName;
      String removed = "removed its replica of group " + raftName + " ";
      KAFKA.broker().stop();
      try {
        Reply.Written w = Poll.forValue("a write to g4", WAIT, () -> g4.put("orphan-1", "x".getBytes()));
        acks.add(new KeyModel.Ack("orphan-1", w.version(), false));
        // A follower the write has not reached yet cannot know about it; the rule is about replicas that do.
        for (String n : NODES) {
          try (ShardGroupClient one = ShardGroupClient.builder(raftName,
              PeerAddress.parseList(stack.nodes().peerSpec(n))).tls(TestTls.cluster().raftTls())
              .operationTimeout(Duration.ofSeconds(10)).build()) {
            Poll.until(n + " applied the write", WAIT, () -> one.get("orphan-1", true).isPresent());
          }
        }

        meta.submitAndWait(new MetaCommand.RemoveGroup("g4", null, System.currentTimeMillis()));
        Poll.until("every node to refuse to drop g4, or one to drop it", WAIT, () ->
            NODES.stream().anyMatch(n -> log(n).contains(removed))
                || NODES.stream().allMatch(n -> log(n).contains(refused)));
        assertThat(NODES).as("nodes that dropped g4 while its change was unpublished")
            .noneMatch(n -> log(n).contains(removed));
      } finally {
        KAFKA.broker().restart();
      }
      Poll.until("every node to drop g4 once its change is published", WAIT,
          () -> NODES.stream().allMatch(n -> log(n).contains(removed)));
    }
    awaitArchived();
    assertThat(ArchiveCheck.acksArchivedOnce(db, acks)).as("acknowledged writes archived exactly once").isEmpty();
  }

  /**
   * A name drained and added again is a new group: its events must reach the archive like any others (with one Raft
   * group per name, the new log started at index 1 again and its events took the identities of the old ones).
   */
  @Test
  @Order(3)
  void aGroupNameAddedAgainIsANewGroupWhoseChangesAllReachTheArchive() throws Exception {
    admin.awaitDone(admin.addGroup("g3", stack.corePeers(), 0, 500).id(), WAIT, v -> { });
    for (String k : keysOwnedBy("g3", 40)) {
      put(k, "second-life");
    }
    awaitArchived();
    assertThat(ArchiveCheck.acksArchivedOnce(db, acks)).as("acknowledged writes archived exactly once").isEmpty();
  }

  /**
   * A node that was down while a group was drained comes back after the name was added again: its replica of the
   * old group must neither join the new one nor stay, and it must catch up on the new one.
   */
  @Test
  @Order(4)
  void aNodeDownWhileAGroupWasRemovedJoinsTheNextIncarnationAfresh() throws Exception {
    String before = track("g3");
    for (String k : keysOwnedBy("g3", 10)) {
      put(k, "before-n3-stops");
    }
    stack.nodes().stop("n3", Duration.ofSeconds(20));
    admin.awaitDone(admin.removeGroup("g3").id(), WAIT, v -> { });
    admin.awaitDone(admin.addGroup("g3", stack.corePeers(), 0, 500).id(), WAIT, v -> { });
    String after = track("g3");
    assertThat(after).isNotEqualTo(before);
    Map<String, Long> written = new LinkedHashMap<>();
    for (String k : keysOwnedBy("g3", 20)) {
      put(k, "third-life");
      written.put(k, acks.get(acks.size() - 1).version());
    }

    stack.nodes().restart("n3", WAIT);
    Poll.until("n3 to drop its replica of " + before, WAIT,
        () -> log("n3").contains("removed its replica of group " + before + " "));
    try (ShardGroupClient onN3 = ShardGroupClient.builder(after, PeerAddress.parseList(stack.nodes().peerSpec("n3")))
        .tls(TestTls.cluster().raftTls()).operationTimeout(Duration.ofSeconds(10)).build()) {
      Poll.until("n3 to serve every write of " + after, WAIT, () -> written.entrySet().stream().allMatch(e ->
          onN3.get(e.getKey(), true).map(Entry::version).orElse(0L).equals(e.getValue())));
    }
    awaitArchived();
    assertThat(ArchiveCheck.acksArchivedOnce(db, acks)).as("acknowledged writes archived exactly once").isEmpty();
  }

  /**
   * Per key, events reach the topic in version order across a migration: with the sources' last changes of moving
   * keys still unpublished (Kafka down), the targets must not take those keys yet, or the sources' late events would
   * follow the targets' newer ones. The migration waits before fencing, so the keys stay writable meanwhile.
   */
  @Test
  @Order(5)
  void keysMoveToANewGroupOnlyOnceTheirOldOwnersPublishedTheirChanges() throws Exception {
    SystemStack.Shards shards = stack.shards(admin);
    List<String> members = new ArrayList<>(shards.ring());
    members.add("g4");
    HashRing next = HashRing.of(members, shards.vnodes());
    List<String> moving = new ArrayList<>();
    for (int i = 0; moving.size() < 10; i++) {
      String k = "moving-" + i;
      if (next.groupFor(k.getBytes(StandardCharsets.UTF_8)).equals("g4")) {
        moving.add(k);
        put(k, "before");
      }
    }
    long epoch = shards.epoch();
    KAFKA.broker().stop();
    MigrationView add;
    String seen;
    try {
      for (String k : moving) {
        put(k, "unpublished");
      }
      add = admin.addGroup("g4", stack.corePeers(), 0, 500);
      seen = Poll.forValue("the add to wait for the sources' events, or to move the ring", WAIT, () -> {
        if (stack.shards(admin).epoch() > epoch) {
          return "moved";
        }
        MigrationView v = admin.migration(add.id());
        return v.waitingFor() != null && v.waitingFor().contains("not yet published") ? v.toString() : null;
      });
      for (String k : moving) {
        put(k, "while-waiting");
      }
    } finally {
      KAFKA.broker().restart();
    }
    admin.awaitDone(add.id(), WAIT, v -> { });
    for (String k : moving) {
      put(k, "on-g4");
    }
    awaitArchived();
    assertThat(ArchiveCheck.acksArchivedOnce(db, acks)).as("acknowledged writes archived exactly once").isEmpty();
    assertThat(seen).as("what the add did while the sources held unpublished changes").isNotEqualTo("moved");
    assertThat(TopicOrder.outOfOrder(KAFKA.bootstrapServers(), stack.topic())).as("events of a key whose version is"
        + " below one the topic already showed for it").isEmpty();
  }

  /** The Raft group of {@code id}'s current incarnation, made known to the node fixture's probes. */
  String track(String id) {
    String raftName = Poll.forValue(id + " in the proxy's topology", WAIT,
        () -> stack.shards(admin).raftGroups().get(id));
    stack.nodes().trackGroup(id, RaftGroupId.valueOf(GroupIds.uuidOf(raftName)));
    stack.nodes().trackGroup(raftName, RaftGroupId.valueOf(GroupIds.uuidOf(raftName)));
    return raftName;
  }

  String log(String node) {
    try {
      return Files.readString(stack.nodes().process(node).logFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
