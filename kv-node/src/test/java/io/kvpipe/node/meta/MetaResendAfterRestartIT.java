package io.kvpipe.node.meta;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.client.RaftErrors;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.OutcomeUnknownException;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.MetaReply;
import io.kvpipe.common.topology.MetaState;
import io.kvpipe.common.topology.Migration;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.TopologyCodec;
import io.kvpipe.node.RaftTuning;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.ratis.RatisCluster;
import io.kvpipe.node.raft.AppliedCalls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.MD5FileUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The meta group's side of {@code ResendAfterRestartIT}: a client's resend of a meta command (same client id, same call
 * id: what the Ratis client sends after a lost reply) that reaches replicas which all restarted from snapshots covering
 * the command. Their Ratis retry cache (in memory, filled by applying entries) has forgotten the call, so the resend
 * was appended and applied again: a command without its own guard changed the topology a second time (a replica list
 * set back to what a later change had replaced), and one with a guard was refused (CONFLICT) although it had been
 * applied. Real 3-peer Ratis meta groups on loopback, kv-node's own Raft settings.
 */
class MetaResendAfterRestartIT {
  static final RaftGroupId META = MetaGroup.groupId();
  static final Duration WAIT = Duration.ofSeconds(30);
  static final ShardGroup G1 = ShardGroup.parse("g1=n1@127.0.0.1:1,n2@127.0.0.1:2,n3@127.0.0.1:3");
  static final List<Peer> WITH_N4 = List.of(Peer.parse("n1@127.0.0.1:1"), Peer.parse("n2@127.0.0.1:2"),
      Peer.parse("n3@127.0.0.1:3"), Peer.parse("n4@127.0.0.1:4"));
  static final List<Peer> WITHOUT_N1 = List.of(Peer.parse("n2@127.0.0.1:2"), Peer.parse("n3@127.0.0.1:3"),
      Peer.parse("n4@127.0.0.1:4"));

  @TempDir
  Path dir;
  RatisCluster cluster;
  final AtomicLong transfers = new AtomicLong(1_000);
  final ClientId client = ClientId.randomId();
  final AtomicLong calls = new AtomicLong(100);

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  void start(long snapshotThreshold) {
    cluster = RatisCluster.builder(dir).peers(3).group(META)
        .properties(p -> RaftTuning.apply(p, snapshotThreshold, 1 << 20, 4096))
        .stateMachines((peer, gid) -> MetaGroup.newStateMachine())
        .start();
  }

  /** A meta command as the Ratis client sends it: a resend carries the same client id and call id. */
  RaftClientReply send(String to, long callId, MetaCommand c) throws Exception {
    RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(client)
        .setServerId(cluster.server(to).getId()).setGroupId(META).setCallId(callId)
        .setMessage(Message.valueOf(ByteString.copyFrom(TopologyCodec.encodeCommand(c))))
        .setType(RaftClientRequest.writeRequestType()).build();
    return cluster.server(to).submitClientRequestAsync(request).get(20, TimeUnit.SECONDS);
  }

  static MetaReply reply(RaftClientReply r) {
    assertThat(r.isSuccess()).as("reply %s", r).isTrue();
    return TopologyCodec.decode(r.getMessage().getContent().toByteArray(), MetaReply.class);
  }

  /** Sends {@code c} as call {@code callId}; returns the log index it was applied at, asserting that it was. */
  long applied(String to, long callId, MetaCommand c) throws Exception {
    RaftClientReply r = send(to, callId, c);
    MetaReply m = reply(r);
    assertThat(m.ok()).as("%s: %s", c, m).isTrue();
    return r.getLogIndex();
  }

  MetaState state(String peer) {
    return ((MetaStateMachine) cluster.stateMachine(peer, META)).state();
  }

  long appliedIndex(String peer) {
    var at = cluster.stateMachine(peer, META).getLastAppliedTermIndex();
    return at == null ? -1 : at.getIndex();
  }

  String bootstrap() throws Exception {
    String leader = cluster.awaitLeader(META, WAIT);
    applied(leader, 1, new MetaCommand.Bootstrap(List.of(G1), List.of(), 16, 1_000));
    return leader;
  }

  /** More commands (health flips of a node, new calls) until every replica's latest snapshot covers {@code index}. */
  void snapshotsCover(String leader, long index) {
    cluster.writeUntilSnapshotsCover(META, index, WAIT, () -> {
      long call = calls.incrementAndGet();
      applied(leader, call, new MetaCommand.SetNodeHealth("n3", call % 2 == 0, "filler", 2_000 + call));
    });
  }

  /** Every replica restarted (a rolling restart, a power cut): no replica's retry cache knows any call any more. */
  String restartEveryReplica() {
    cluster.peerIds().forEach(cluster::stopPeer);
    cluster.peerIds().forEach(cluster::startPeer);
    return cluster.awaitLeader(META, WAIT);
  }

  void assertRefusedAsAlreadyApplied(RaftClientReply again, long firstIndex) {
    // Refused before it is logged: an applied duplicate would be a successful Raft reply carrying a MetaReply.
    assertThat(again.isSuccess()).as("the resend must not be applied a second time: %s", again.isSuccess()
        ? TopologyCodec.decode(again.getMessage().getContent().toByteArray(), MetaReply.class) : again).isFalse();
    assertThat(again.getException()).hasMessageContaining(ErrorCode.TIMEOUT.name())
        .hasMessageContaining("already applied at log index " + firstIndex);
    // What a client makes of it (MetaClient, through RaftErrors): an unknown outcome, not a definite refusal.
    assertThat(RaftErrors.toKvException(again.getException(), "meta")).isInstanceOf(OutcomeUnknownException.class);
  }

  /** Waits until every replica applied what the leader has, then returns their states (all equal). */
  MetaState settled(String leader) {
    long upTo = appliedIndex(leader);
    for (String peer : cluster.peerIds()) {
      Poll.until(peer + " applied up to " + upTo, WAIT, () -> appliedIndex(peer) >= upTo);
    }
    MetaState s = state(leader);
    for (String peer : cluster.peerIds()) {
      assertThat(state(peer)).as("state of %s", peer).isEqualTo(s);
    }
    return s;
  }

  /** The control: without a restart, the new leader's retry cache answers the resend with the first reply. */
  @Test
  void aResendToANewLeaderIsAnsweredWithTheFirstReply() throws Exception {
    start(100_000);
    String leader = bootstrap();
    RaftClientReply first = send(leader, 7, new MetaCommand.SetGroupPeers("g1", WITH_N4, null, 3_000));
    long version = reply(first).version();
    String follower = cluster.peerIds().stream().filter(p -> !p.equals(leader)).findFirst().orElseThrow();
    moveLeaderTo(follower);

    MetaReply again = reply(send(follower, 7, new MetaCommand.SetGroupPeers("g1", WITH_N4, null, 3_000)));

    assertThat(again.ok()).isTrue();
    assertThat(again.version()).isEqualTo(version);
    assertThat(settled(follower).topology().version()).isEqualTo(version);
  }

  /**
   * A command with no guard of its own: the resend of an earlier replica list, after a later membership change, set
   * the list back (and bumped the version, with a second PEERS_CHANGED event) on the old code.
   */
  @Test
  void aResendOfAnUnguardedCommandAfterTheReplicasRestartedFromSnapshotsIsNotAppliedAgain() throws Exception {
    start(1); // a snapshot after every entry (written in the background)
    String leader = bootstrap();
    MetaCommand.SetGroupPeers addN4 = new MetaCommand.SetGroupPeers("g1", WITH_N4, null, 3_000);
    long firstIndex = applied(leader, 7, addN4);
    long laterIndex = applied(leader, 8, new MetaCommand.SetGroupPeers("g1", WITHOUT_N1, null, 3_001));
    snapshotsCover(leader, laterIndex);
    long version = settled(leader).topology().version();
    String newLeader = restartEveryReplica();

    RaftClientReply again = send(newLeader, 7, addN4);

    assertRefusedAsAlreadyApplied(again, firstIndex);
    MetaState after = settled(newLeader);
    assertThat(after.topology().group("g1").orElseThrow().peers()).as("the later replica list stands")
        .isEqualTo(WITHOUT_N1);
    assertThat(after.topology().version()).as("no second change").isEqualTo(version);
  }

  /**
   * A command guarded by the topology version (a coordinator creating a migration): the resend was refused CONFLICT
   * on the old code, an error for a command that had been applied.
   */
  @Test
  void aResendOfAGuardedCommandAfterTheReplicasRestartedFromSnapshotsSaysItWasAlreadyApplied() throws Exception {
    start(1);
    String leader = bootstrap();
    long plannedFrom = state(leader).topology().version();
    Migration m = new Migration("add-group-g2-x", Migration.ADD_GROUP, "pending", 1, 2, null, List.of("g1"),
        List.of("g2"), 0, 0, 3_000, 3_000, Map.of("step", "pending"));
    MetaCommand.PutMigration create = new MetaCommand.PutMigration(m, plannedFrom, 3_000);
    long firstIndex = applied(leader, 7, create);
    snapshotsCover(leader, firstIndex);
    long version = settled(leader).topology().version();
    String newLeader = restartEveryReplica();

    RaftClientReply again = send(newLeader, 7, create);

    assertRefusedAsAlreadyApplied(again, firstIndex);
    MetaState after = settled(newLeader);
    assertThat(after.topology().migration(m.id())).contains(m);
    assertThat(after.topology().version()).isEqualTo(version);
  }

  /** Asks whoever leads to hand over to {@code to} until it does. */
  void moveLeaderTo(String to) {
    Poll.until("peer " + to + " leads", WAIT, Duration.ofMillis(100), () -> {
      String leader = cluster.leader(META).orElse(null);
      if (to.equals(leader)) {
        return true;
      }
      if (leader != null) {
        try {
          cluster.server(leader).transferLeadershipAsync(new TransferLeadershipRequest(ClientId.randomId(),
              RaftPeerId.valueOf(leader), META, transfers.incrementAndGet(), RaftPeerId.valueOf(to), 3_000))
              .get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
          // Refused or timed out (an election under way): the next round asks again.
        }
      }
      return to.equals(cluster.leader(META).orElse(null));
    });
  }

  /**
   * An upgrade from a version without the calls: every replica restarts from its own KVMETA1 snapshot, which remembers
   * none. The new leader logs the marker; from its index on every replica counts the same calls, and a resend the
   * leader does not know is applied alike everywhere (docs/robustness.md, finding 10).
   */
  @Test
  void afterAnUpgradeFromKvmeta1TheLeaderLogsTheMarkerAndTheReplicasStayAlike() throws Exception {
    start(1);
    String leader = bootstrap();
    MetaCommand.SetGroupPeers addN4 = new MetaCommand.SetGroupPeers("g1", WITH_N4, null, 3_000);
    applied(leader, 7, addN4);
    long laterIndex = applied(leader, 8, new MetaCommand.SetGroupPeers("g1", WITHOUT_N1, null, 3_001));
    snapshotsCover(leader, laterIndex);
    settled(leader);
    cluster.peerIds().forEach(cluster::stopPeer);
    for (String peer : cluster.peerIds()) {
      asWrittenBeforeTheCalls(peer);
    }
    cluster.peerIds().forEach(cluster::startPeer);
    String newLeader = cluster.awaitLeader(META, WAIT);

    Poll.until("every replica applied the marker", WAIT, () -> cluster.peerIds().stream()
        .allMatch(p -> machine(p).callsKnownFrom() != AppliedCalls.UNKNOWN));
    long knownFrom = machine(newLeader).callsKnownFrom();
    assertThat(cluster.peerIds()).allSatisfy(p -> assertThat(machine(p).callsKnownFrom()).isEqualTo(knownFrom));
    RaftClientReply again = send(newLeader, 7, addN4);
    assertThat(reply(again).ok()).as("not known to this leader: applied, alike everywhere").isTrue();
    assertThat(settled(newLeader).topology().group("g1").orElseThrow().peers()).isEqualTo(WITH_N4);
  }

  MetaStateMachine machine(String peer) {
    return (MetaStateMachine) cluster.stateMachine(peer, META);
  }

  /** Rewrites the stopped {@code peer}'s snapshots as the version before the calls wrote them (KVMETA1). */
  void asWrittenBeforeTheCalls(String peer) throws Exception {
    List<Path> snapshots;
    try (var files = Files.walk(cluster.dataDir(peer))) {
      snapshots = files.filter(f -> f.getFileName().toString().matches("snapshot\\.\\d+_\\d+")).toList();
    }
    assertThat(snapshots).as("snapshots of %s", peer).isNotEmpty();
    for (Path f : snapshots) {
      MetaState state = MetaSnapshotFile.read(f).state();
      MetaSnapshotFile.writeFile(f, "KVMETA1\n".getBytes(StandardCharsets.US_ASCII), TopologyCodec.encode(state));
      MD5FileUtil.computeAndSaveMd5ForFile(f.toFile());
    }
  }
}
