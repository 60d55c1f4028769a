package io.kvpipe.node.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.MetaQuery;
import io.kvpipe.common.topology.MetaReply;
import io.kvpipe.common.topology.MetaState;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.common.topology.TopologyCodec;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.ratis.RatisCluster;
import io.kvpipe.testsupport.tls.TestTls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The meta state machine in a real 3-peer Ratis group (in this JVM): replication, refusal, snapshots, recovery. */
class MetaStateMachineIT {
  private static final RaftGroupId META = MetaGroup.groupId();
  private static final ShardGroup G1 = ShardGroup.parse("g1=n1@127.0.0.1:1,n2@127.0.0.1:2,n3@127.0.0.1:3");
  private static final ShardGroup G2 = ShardGroup.parse("g2=n1@127.0.0.1:1,n2@127.0.0.1:2,n3@127.0.0.1:3");

  @TempDir
  Path dir;
  private RatisCluster cluster;
  private RaftClient client;

  @BeforeEach
  void start() {
    // Let an on-demand snapshot be taken after a handful of entries (the default gap is 1024).
    start(dir, p -> org.apache.ratis.server.RaftServerConfigKeys.Snapshot.setCreationGap(p, 1));
  }

  private void start(Path base, java.util.function.Consumer<RaftProperties> properties) {
    cluster = RatisCluster.builder(base).peers(3).group(META).properties(properties)
        .stateMachines((peer, gid) -> MetaGroup.newStateMachine()).start();
    cluster.awaitLeader(META, Duration.ofSeconds(30));
    RaftProperties props = new RaftProperties();
    RaftConfigKeys.Rpc.setType(props, SupportedRpcType.GRPC);
    client = RaftClient.newBuilder().setProperties(props).setParameters(TestTls.cluster().parameters())
        .setRaftGroup(cluster.group(META))
        .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(100,
            TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
        .build();
  }

  @AfterEach
  void stop() throws IOException {
    if (client != null) {
      client.close();
      client = null;
    }
    if (cluster != null) {
      cluster.close();
      cluster = null;
    }
  }

  private MetaReply submit(MetaCommand c) throws IOException {
    RaftClientReply r = client.io().send(Message.valueOf(ByteString.copyFrom(TopologyCodec.encodeCommand(c))));
    assertThat(r.isSuccess()).isTrue();
    return TopologyCodec.decode(r.getMessage().getContent().toByteArray(), MetaReply.class);
  }

  private <T> T query(MetaQuery q, Class<T> type) throws IOException {
    RaftClientReply r = client.io().sendReadOnly(Message.valueOf(ByteString.copyFrom(TopologyCodec.encodeQuery(q))));
    return TopologyCodec.decode(r.getMessage().getContent().toByteArray(), type);
  }

  private MetaState replicaState(String peer) {
    return ((MetaStateMachine) cluster.stateMachine(peer, META)).state();
  }

  @Test
  void commandsReplicateToEveryPeerAndQueriesSeeThem() throws IOException {
    assertThat(submit(new MetaCommand.Bootstrap(List.of(G1, G2), List.of(), 64, 100)).changed()).isTrue();
    assertThat(submit(new MetaCommand.Bootstrap(List.of(G1), List.of(), 8, 101)).changed()).isFalse();
    assertThat(submit(new MetaCommand.SetNodeHealth("n2", false, "test", 102)).version()).isEqualTo(2);
    MetaReply refused = submit(new MetaCommand.RemoveGroup("g1", null, 103));
    assertThat(refused.ok()).isFalse();
    assertThat(refused.error()).isEqualTo("CONFLICT");

    Topology t = query(new MetaQuery.Snapshot(), Topology.class);
    assertThat(t.version()).isEqualTo(2);
    assertThat(t.ringMembers()).containsExactly("g1", "g2");
    assertThat(t.node("n2").orElseThrow().up()).isFalse();
    assertThat(query(new MetaQuery.Version(), MetaQuery.VersionInfo.class).version()).isEqualTo(2);
    assertThat(query(new MetaQuery.EventsSince(1, 10), MetaQuery.EventPage.class).events())
        .extracting(e -> e.type()).containsExactly("NODE_DOWN");
    for (String peer : cluster.peerIds()) {
      Poll.until(peer + " applied everything", Duration.ofSeconds(10),
          () -> replicaState(peer).topology().equals(t));
    }
  }

  /**
   * Bootstraps the first topology (version 1), then sends {@code ask} for changes after it; returns once the leader
   * holds it (nothing changed yet: an unchanged answer would come only after the ask's wait).
   */
  private java.util.concurrent.CompletableFuture<RaftClientReply> heldAfterBootstrap(MetaQuery ask) throws Exception {
    submit(new MetaCommand.Bootstrap(List.of(G1, G2), List.of(), 64, 100));
    java.util.concurrent.CompletableFuture<RaftClientReply> waiting = client.async().sendReadOnly(
        Message.valueOf(ByteString.copyFrom(TopologyCodec.encodeQuery(ask))));
    Poll.until("the leader holds the reader", Duration.ofSeconds(10), () -> heldReaders() == 1);
    assertThat(waiting).isNotDone();
    return waiting;
  }

  /** A reader waiting for a change is answered by the apply of the command that makes it, not by a poll. */
  @Test
  void aReaderWaitingForAChangeIsAnsweredWhenTheChangeApplies() throws Exception {
    java.util.concurrent.CompletableFuture<RaftClientReply> waiting =
        heldAfterBootstrap(new MetaQuery.ChangedAfter(1, MetaQuery.ChangedAfter.MAX_WAIT_MILLIS));
    long before = System.nanoTime();
    submit(new MetaCommand.SetNodeHealth("n2", false, "test", 102));
    RaftClientReply r = waiting.get(5, TimeUnit.SECONDS);
    assertThat(TopologyCodec.decode(r.getMessage().getContent().toByteArray(), MetaQuery.VersionInfo.class).version())
        .isEqualTo(2);
    assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(5));
    // A reader already behind is answered at once.
    assertThat(query(new MetaQuery.ChangedAfter(1, MetaQuery.ChangedAfter.MAX_WAIT_MILLIS),
        MetaQuery.VersionInfo.class).version()).isEqualTo(2);
  }

  /**
   * ChangesAfter is ChangedAfter answered with the change itself (the topology and the events after the version the
   * reader holds), so a proxy needs one round trip per change instead of three.
   */
  @Test
  void aReaderWaitingForChangesGetsTheTopologyAndTheEventsWhenTheChangeApplies() throws Exception {
    java.util.concurrent.CompletableFuture<RaftClientReply> waiting =
        heldAfterBootstrap(new MetaQuery.ChangesAfter(1, MetaQuery.ChangedAfter.MAX_WAIT_MILLIS));
    submit(new MetaCommand.SetNodeHealth("n2", false, "test", 102));
    MetaQuery.Changes c = TopologyCodec.decode(waiting.get(5, TimeUnit.SECONDS).getMessage().getContent()
        .toByteArray(), MetaQuery.Changes.class);
    assertThat(c.topology()).isEqualTo(query(new MetaQuery.Snapshot(), Topology.class));
    assertThat(c.topology().version()).isEqualTo(2);
    assertThat(c.events().truncated()).isFalse();
    assertThat(c.events().events()).extracting(e -> e.type()).containsExactly("NODE_DOWN");
    // A reader already behind is answered at once, with every event it missed.
    submit(new MetaCommand.SetNodeHealth("n2", true, "test", 103));
    MetaQuery.Changes behind = query(new MetaQuery.ChangesAfter(1, MetaQuery.ChangedAfter.MAX_WAIT_MILLIS),
        MetaQuery.Changes.class);
    assertThat(behind.topology().version()).isEqualTo(3);
    assertThat(behind.events().events()).extracting(e -> e.version()).containsExactly(2L, 3L);
  }

  private int heldReaders() {
    return cluster.peerIds().stream().mapToInt(p -> ((MetaStateMachine) cluster.stateMachine(p, META)).heldReaders())
        .sum();
  }

  @Test
  void malformedCommandsNeverEnterTheLog() throws IOException {
    submit(new MetaCommand.Bootstrap(List.of(G1), List.of(), 16, 1));
    for (String bad : List.of("", "{", "{\"type\":\"set-node-health\"}", "{\"type\":\"drop-everything\"}")) {
      assertThatThrownBy(() -> {
        RaftClientReply r = client.io().send(Message.valueOf(bad));
        if (!r.isSuccess()) {
          throw r.getException();
        }
      }).as(bad).hasMessageContaining("meta command");
    }
    assertThat(query(new MetaQuery.Version(), MetaQuery.VersionInfo.class).version()).isEqualTo(1);
  }

  @Test
  void stateSurvivesARestartOfEveryPeerFromSnapshotAndLog() throws Exception {
    submit(new MetaCommand.Bootstrap(List.of(G1, G2), List.of(), 32, 1));
    submit(new MetaCommand.SetNodeHealth("n1", false, "a", 2));
    client.getSnapshotManagementApi(org.apache.ratis.protocol.RaftPeerId.valueOf(cluster.awaitLeader(META,
        Duration.ofSeconds(10)))).create(30_000);
    submit(new MetaCommand.SetNodeHealth("n1", true, "b", 3));  // after the snapshot: replayed from the log
    Topology before = query(new MetaQuery.Snapshot(), Topology.class);
    for (String peer : cluster.peerIds()) {
      Poll.until(peer + " caught up", Duration.ofSeconds(10), () -> replicaState(peer).topology().equals(before));
    }
    List<Path> snapshots = snapshotFiles();
    assertThat(snapshots).isNotEmpty();

    for (String peer : cluster.peerIds()) {
      cluster.stopPeer(peer);
    }
    for (String peer : cluster.peerIds()) {
      cluster.startPeer(peer);
    }
    cluster.awaitLeader(META, Duration.ofSeconds(30));
    assertThat(query(new MetaQuery.Snapshot(), Topology.class)).isEqualTo(before);
    assertThat(query(new MetaQuery.EventsSince(0, 10), MetaQuery.EventPage.class).events()).hasSize(3);
  }

  @Test
  void aFollowerThatMissedPurgedEntriesCatchesUpFromAnInstalledSnapshot() throws Exception {
    stop();
    Path base = dir.resolve("purging");
    start(base, p -> {
      org.apache.ratis.server.RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
      org.apache.ratis.server.RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, 20);
      org.apache.ratis.server.RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
      org.apache.ratis.server.RaftServerConfigKeys.Log.setPurgeGap(p, 1);
      // Small segments, so the entries the follower misses end up in closed (purgeable) segments.
      org.apache.ratis.server.RaftServerConfigKeys.Log.setSegmentSizeMax(p,
          org.apache.ratis.util.SizeInBytes.valueOf(2048));
    });
    submit(new MetaCommand.Bootstrap(List.of(G1, G2), List.of(), 16, 1));
    String leader = cluster.awaitLeader(META, Duration.ofSeconds(10));
    String lagging = cluster.peerIds().stream().filter(p -> !p.equals(leader)).findFirst().orElseThrow();
    Poll.until(lagging + " applied the bootstrap", Duration.ofSeconds(10),
        () -> replicaState(lagging).topology().version() == 1);
    cluster.stopPeer(lagging);

    for (int i = 0; i < 120; i++) {
      submit(new MetaCommand.SetNodeHealth("n" + (1 + i % 3), i % 2 == 0, "flap " + i, 10 + i));
    }
    Topology before = query(new MetaQuery.Snapshot(), Topology.class);
    for (String peer : cluster.peerIds()) {
      if (!peer.equals(lagging)) {
        Poll.until(peer + " snapshotted and purged its log", Duration.ofSeconds(30),
            () -> hasSnapshot(peer) && logPurged(peer));
      }
    }

    cluster.startPeer(lagging);
    Poll.until(lagging + " caught up", Duration.ofSeconds(60),
        () -> replicaState(lagging).topology().equals(before));
    // The entries it missed are gone from every log: only an installed snapshot can have brought it here.
    assertThat(hasSnapshot(lagging)).isTrue();
    // And the replica is alive afterwards: it keeps applying new entries.
    submit(new MetaCommand.SetNodeHealth("n1", true, "after catch-up", 1000));
    Topology after = query(new MetaQuery.Snapshot(), Topology.class);
    assertThat(after.version()).isGreaterThan(before.version());
    Poll.until(lagging + " applies new entries", Duration.ofSeconds(30),
        () -> replicaState(lagging).topology().equals(after));
  }

  private boolean hasSnapshot(String peer) {
    return filesUnder(cluster.dataDir(peer)).anyMatch(p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+"));
  }

  /** Whether the peer's log no longer starts at index 0 (its first segments were purged after a snapshot). */
  private boolean logPurged(String peer) {
    return filesUnder(cluster.dataDir(peer)).map(p -> p.getFileName().toString())
        .filter(f -> f.startsWith("log_")).noneMatch(f -> f.startsWith("log_0-") || f.startsWith("log_inprogress_0"));
  }

  private static Stream<Path> filesUnder(Path root) {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).toList().stream();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void aCorruptSnapshotIsDetectedNotLoaded() throws Exception {
    submit(new MetaCommand.Bootstrap(List.of(G1), List.of(), 32, 1));
    String leader = cluster.awaitLeader(META, Duration.ofSeconds(10));
    client.getSnapshotManagementApi(org.apache.ratis.protocol.RaftPeerId.valueOf(leader)).create(30_000);
    Path snap = snapshotFiles().stream().filter(p -> p.startsWith(cluster.dataDir(leader))).findFirst().orElseThrow();
    byte[] bytes = Files.readAllBytes(snap);
    bytes[bytes.length - 3] ^= 0x20;
    assertThatThrownBy(() -> MetaSnapshotFile.read(writeCopy(snap, bytes))).hasMessageContaining("checksum");
  }

  private Path writeCopy(Path snap, byte[] bytes) throws IOException {
    Path copy = dir.resolve("corrupt-" + snap.getFileName());
    Files.write(copy, bytes);
    return copy;
  }

  private List<Path> snapshotFiles() throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+")).toList();
    }
  }
}
