package io.kvpipe.node.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.client.meta.MetaClient;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.MetaReply;
import io.kvpipe.common.topology.Migration;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.node.KvNode;
import io.kvpipe.node.KvNodeMain;
import io.kvpipe.common.Versions;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.process.ChildLogsOnFailure;
import io.kvpipe.testsupport.tls.TestTls;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.kvpipe.testsupport.ratis.KvNodeCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real kv-node processes hosting the meta group, following the topology in it: a group added in meta appears on its
 * nodes; a fourth node joins g1 through an add-peer record and setConfiguration while a writer keeps writing, and ends
 * with every acknowledged key; n1 leaves g1 and its replica goes away; a group removed from meta goes away; a
 * restarted node keeps its dynamic group. CDC is on: replicas created at runtime publish like the others (their
 * leader confirms what it published). The steps build on each other, in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GroupMembershipIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();
  // Each node's state (alive, or how it exited) heads its log: CI once failed here with n3 apparently broken from the
  // first step on, and nothing left to say whether it had died.
  @RegisterExtension static final ChildLogsOnFailure LOGS =
      ChildLogsOnFailure.ofProcesses(() -> GroupMembershipIT.cluster.processes());
  static final Duration START = Duration.ofSeconds(60);
  static final Duration CONVERGE = Duration.ofSeconds(30);
  /** Twice the snapshot threshold: n4 joins behind a snapshot and a purged log. */
  static final int PRE_WRITES = 600;

  @TempDir
  static Path dir;
  static KvNodeCluster cluster;
  static MetaClient meta;
  static ShardGroupClient g1;
  static String g3Raft;

  @BeforeAll
  static void start() {
    cluster = KvNodeCluster.builder(KvNodeMain.class.getName(), dir)
        .group("meta", RaftGroupId.valueOf(GroupIds.uuidOf("meta")))
        .group("g1", gid("g1"))
        // Small snapshots and segments: the joining node has to catch up by an installed snapshot.
        .args(nodeArgs("--snapshot-threshold", "300", "--log-segment-bytes", "16384").toArray(String[]::new))
        // Ratis's role changes and group adds/removals in the node logs (printed on failure): what a replica that
        // never appeared, or a leader that never moved, did meanwhile.
        .env("KVPIPE_RATIS_LOG_LEVEL", "INFO")
        .start(START);
    meta = new MetaClient(peers("n1", "n2", "n3"), Duration.ofSeconds(10), TestTls.cluster().raftTls());
    Poll.until("topology bootstrapped", START, () -> {
      meta.submitAndWait(new MetaCommand.Bootstrap(List.of(new ShardGroup("g1", peers("n1", "n2", "n3"))),
          peers("n1", "n2", "n3"), 16, System.currentTimeMillis()));
      return meta.version().version() > 0;
    });
    g1 = client("g1", "n1", "n2", "n3", "n4");
  }

  @AfterAll
  static void stop() {
    if (g1 != null) {
      g1.close();
    }
    if (meta != null) {
      meta.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  static List<String> nodeArgs(String... more) {
    List<String> args = new ArrayList<>(List.of("--reconcile-interval-ms", "200",
        "--kafka-bootstrap", KAFKA.bootstrapServers(), "--topic", "kv.changes.membership",
        "--cdc-confirm-interval-ms", "50", "--cdc-linger-ms", "1"));
    args.addAll(List.of(more));
    return args;
  }

  /** The group's leader published (and confirmed) everything up to the write that got {@code version}. */
  static void awaitPublished(ShardGroupClient client, long version) {
    Poll.until("group " + client.group() + " published up to " + Versions.logIndex(version), CONVERGE,
        () -> client.status().confirmedIndex() >= Versions.logIndex(version));
  }

  /** Whether the node hosts the group; ends the wait at once if the node died (no node here stops on its own). */
  static boolean hosts(String node, String group) {
    cluster.abortIfDied(node);
    return cluster.hosts(node, group);
  }

  static RaftGroupId gid(String group) {
    return RaftGroupId.valueOf(GroupIds.uuidOf(group));
  }

  static List<Peer> peers(String... ids) {
    return Stream.of(ids).map(id -> Peer.parse(cluster.peerSpec(id))).toList();
  }

  static List<PeerAddress> addresses(String... ids) {
    return Stream.of(ids).map(id -> PeerAddress.parse(cluster.peerSpec(id))).toList();
  }

  /** A client of the group over the given nodes (those not started yet are left out). */
  static ShardGroupClient client(String group, String... ids) {
    List<PeerAddress> known = Stream.of(ids).filter(id -> cluster.nodeIds().contains(id))
        .map(id -> PeerAddress.parse(cluster.peerSpec(id))).toList();
    return ShardGroupClient.builder(group, known).tls(TestTls.cluster().raftTls()).operationTimeout(Duration.ofSeconds(20)).build();
  }

  static MetaReply submit(MetaCommand c) {
    MetaReply r = meta.submitAndWait(c);
    assertThat(r.error()).as("meta refused " + c).isNull();
    return r;
  }

  static long now() {
    return System.currentTimeMillis();
  }

  static List<String> removedDirs(String node) {
    Path d = cluster.dataDir(node).resolve(KvNode.REMOVED_GROUPS_DIR);
    if (!Files.isDirectory(d)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes g1 keys one after another until stopped; keeps the acknowledged ones. */
  static final class Writer implements AutoCloseable {
    final ConcurrentLinkedQueue<String> acked = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<KvException> failures = new ConcurrentLinkedQueue<>();
    final AtomicBoolean running = new AtomicBoolean(true);
    final Thread thread;

    Writer(String prefix) {
      thread = Thread.ofPlatform().name("writer-" + prefix).start(() -> {
        for (int i = 0; running.get(); i++) {
          String key = prefix + i;
          // A retriable refusal (a leader handing over) is retried with the same put, as the proxy does; only a
          // non-retriable one, or one still failing after many tries, counts as a failed write.
          for (int attempt = 1; running.get() || attempt == 1; attempt++) {
            try {
              g1.put(key, key.getBytes(StandardCharsets.UTF_8));
              acked.add(key);
              break;
            } catch (KvException e) {
              if (!e.retriable() || attempt == 20) {
                failures.add(e);
                break;
              }
            }
          }
        }
      });
    }

    void awaitMore(int more) {
      int target = acked.size() + more;
      Poll.until(more + " more acknowledged writes", CONVERGE, () -> acked.size() >= target);
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join();
    }
  }

  @Test
  @Order(1)
  void aGroupAddedInMetaIsCreatedOnItsNodesAndTakesWrites() {
    submit(new MetaCommand.AddGroup(new ShardGroup("g3", peers("n1", "n2", "n3")), null, now()));
    // Added at runtime: its Raft group is this incarnation's, g3.<version>.
    g3Raft = meta.snapshot().group("g3").orElseThrow().raftName();
    assertThat(g3Raft).startsWith("g3.");
    cluster.trackGroup("g3", gid(g3Raft));
    for (String n : List.of("n1", "n2", "n3")) {
      Poll.until(n + " hosts g3", CONVERGE, () -> hosts(n, "g3"));
    }
    try (ShardGroupClient g3 = client(g3Raft, "n1", "n2", "n3")) {
      long v = g3.put("k3", "v3".getBytes(StandardCharsets.UTF_8)).version();
      assertThat(v).isPositive();
      assertThat(g3.get("k3")).map(e -> new String(e.value(), StandardCharsets.UTF_8)).contains("v3");
      awaitPublished(g3, v);
    }
  }

  @Test
  @Order(2)
  void aFourthNodeJoinsG1WhileWritesGoOnAndHoldsEveryAcknowledgedKey() throws Exception {
    // Enough data that n4 starts behind a purged log.
    for (int i = 0; i < PRE_WRITES; i += 100) {
      List<java.util.concurrent.CompletableFuture<?>> batch = new ArrayList<>();
      for (int j = i; j < i + 100; j++) {
        batch.add(g1.putAsync("pre" + j, ("pre" + j).getBytes(StandardCharsets.UTF_8)));
      }
      batch.forEach(ShardGroupClient::join);
    }
    cluster.addNode("n4", nodeArgs("--meta-peers", cluster.peerSpec("n1") + "," + cluster.peerSpec("n2") + ","
        + cluster.peerSpec("n3")), START);
    assertThat(cluster.hosts("n4", "g1")).isFalse();

    try (Writer writer = new Writer("w")) {
      writer.awaitMore(20);
      submit(new MetaCommand.PutMigration(addPeer("m-add-n4", "joining", "g1", "n4"), null, now()));
      Poll.until("n4 hosts a joining replica of g1", CONVERGE, () -> hosts("n4", "g1"));

      g1.setPeers(addresses("n1", "n2", "n3", "n4"), Duration.ofSeconds(60));
      submit(new MetaCommand.SetGroupPeers("g1", peers("n1", "n2", "n3", "n4"), null, now()));
      submit(new MetaCommand.PutMigration(addPeer("m-add-n4", "done", "g1", "n4"), null, now()));
      writer.awaitMore(50);
      writer.close();
      assertThat(writer.failures).as("writes failed during the change").isEmpty();

      List<String> all = new ArrayList<>();
      for (int j = 0; j < PRE_WRITES; j++) {
        all.add("pre" + j);
      }
      all.addAll(writer.acked);
      try (ShardGroupClient onN4 = client("g1", "n4")) {
        String last = all.getLast();
        Poll.until("n4 applied the last acknowledged write", CONVERGE, () -> onN4.get(last, true).isPresent());
        for (int from = 0; from < all.size(); from += 200) {
          List<String> page = all.subList(from, Math.min(all.size(), from + 200));
          List<java.util.concurrent.CompletableFuture<Optional<Entry>>> reads =
              page.stream().map(k -> onN4.getAsync(k, true)).toList();
          for (int i = 0; i < page.size(); i++) {
            Optional<Entry> e = ShardGroupClient.join(reads.get(i));
            assertThat(e).as("key %s on n4", page.get(i)).isPresent();
            assertThat(new String(e.get().value(), StandardCharsets.UTF_8)).isEqualTo(page.get(i));
          }
        }
      }
    }
    // The add-peer record is done and the topology lists n4: the replica stays.
    Poll.until("n4 converged on the topology", CONVERGE, () -> hosts("n4", "g1"));
    assertThat(cluster.hosts("n4", "g1")).isTrue();
  }

  static Migration addPeer(String id, String phase, String group, String node) {
    return new Migration(id, ReconcilePlan.KIND_ADD_PEER, phase, 1, 1, null, List.of(), List.of(group), 0, 0, now(),
        now(), Map.of(ReconcilePlan.ATTR_GROUP, group, ReconcilePlan.ATTR_PEER, cluster.peerSpec(node)));
  }

  @Test
  @Order(3)
  void n1LeavesG1ItsReplicaGoesAwayAndNothingIsLost() throws Exception {
    // The hard case: the replica that leaves is the leader (and the one publishing CDC events).
    Poll.until("n1 leads g1", CONVERGE, () -> {
      cluster.nodeIds().forEach(cluster::abortIfDied);
      return cluster.transferLeadership("g1", "n1", Duration.ofSeconds(3))
          && cluster.leader("g1").filter("n1"::equals).isPresent();
    });
    try (Writer writer = new Writer("x")) {
      writer.awaitMore(20);
      g1.setPeers(addresses("n2", "n3", "n4"), Duration.ofSeconds(30));
      submit(new MetaCommand.SetGroupPeers("g1", peers("n2", "n3", "n4"), null, now()));
      Poll.until("n1 no longer hosts g1", CONVERGE, () -> !hosts("n1", "g1"));
      writer.awaitMore(50);
      writer.close();
      assertThat(writer.failures).as("writes failed during the change").isEmpty();
      Poll.until("n1 kept g1's data aside", CONVERGE,
          () -> removedDirs("n1").stream().anyMatch(d -> d.startsWith("g1-")));
      try (ShardGroupClient rest = client("g1", "n2", "n3", "n4")) {
        List<String> keys = new ArrayList<>(writer.acked);
        for (int from = 0; from < keys.size(); from += 500) {
          List<String> page = keys.subList(from, Math.min(keys.size(), from + 500));
          List<Entry> found = rest.batchGet(page);
          for (int i = 0; i < page.size(); i++) {
            assertThat(found.get(i)).as(page.get(i)).isNotNull();
          }
        }
      }
    }
    assertThat(cluster.hosts("n1", "meta")).as("n1 still serves the meta group").isTrue();
  }

  @Test
  @Order(4)
  void aGroupRemovedFromMetaGoesAwayOnItsNodes() {
    submit(new MetaCommand.RemoveGroup("g3", null, now()));
    for (String n : List.of("n1", "n2", "n3")) {
      Poll.until(n + " no longer hosts g3", CONVERGE, () -> !hosts(n, "g3"));
      Poll.until(n + " kept g3's data aside", CONVERGE, () -> {
        cluster.abortIfDied(n);
        return removedDirs(n).stream().anyMatch(d -> d.startsWith(g3Raft + "-"));
      });
    }
  }

  @Test
  @Order(5)
  void aRestartedNodeKeepsServingItsDynamicGroup() {
    cluster.stop("n4", Duration.ofSeconds(10));
    g1.put("while-n4-down", "v".getBytes(StandardCharsets.UTF_8));
    cluster.restart("n4", START);
    Poll.until("n4 hosts g1 again", CONVERGE, () -> hosts("n4", "g1"));
    try (ShardGroupClient onN4 = client("g1", "n4")) {
      Poll.until("n4 caught up after its restart", CONVERGE,
          () -> onN4.get("while-n4-down", true).isPresent());
    }
    long v = g1.put("after-restart", "v".getBytes(StandardCharsets.UTF_8)).version();
    assertThat(g1.get("after-restart")).isPresent();
    awaitPublished(g1, v);
  }
}
