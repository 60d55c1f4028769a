package io.kvpipe.node.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.WireCodec;
import io.kvpipe.node.RaftTuning;
import io.kvpipe.node.raft.AppliedCalls;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.ratis.RatisCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The marker in a real 3-peer shard group: a new group's first leader logs it before it serves a write, and after an
 * upgrade from a version without {@link AppliedCalls} (every replica restarts from its own format-5 snapshot) the
 * new leader logs it again; every replica counts calls from its index alike (docs/robustness.md, finding 10; the
 * unit-level reproduction is {@code ShardUpgradeDivergenceTest}).
 */
class ShardUpgradeMarkerIT {
  static final String GROUP = "g1";
  static final RaftGroupId GID = RaftGroupId.valueOf(GroupIds.uuidOf(GROUP));
  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;
  RatisCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void afterAnUpgradeFromFormat5TheLeaderLogsTheMarkerAndTheReplicasAgreeOnIt() throws Exception {
    cluster = RatisCluster.builder(dir).peers(3).group(GID)
        .properties(p -> RaftTuning.apply(p, 1, 1 << 20, 4096))
        .stateMachines((peer, gid) -> new ShardStateMachine(GROUP, new ShardSettings(4096, true, 10_000, 10 << 20)))
        .start();
    String leader = cluster.awaitLeader(GID, WAIT);
    long fresh = everyReplicaAppliedTheSameMarker();
    assertThat(fresh).as("a new group knows its calls from its first leader's marker, not from 0").isPositive();
    ClientId client = ClientId.randomId();
    long last = 0;
    for (int call = 1; call <= 5; call++) {
      last = put(leader, client, call, "k" + call).getLogIndex();
      assertThat(last).as("a put after the marker").isGreaterThan(fresh);
    }
    long upTo = last;
    AtomicLong calls = new AtomicLong(100);
    cluster.writeUntilSnapshotsCover(GID, upTo, WAIT, () -> put(leader, client, calls.incrementAndGet(), "other"));
    cluster.peerIds().forEach(cluster::stopPeer);
    for (String peer : cluster.peerIds()) {
      List<Path> snapshots;
      try (var files = Files.walk(cluster.dataDir(peer))) {
        snapshots = files.filter(f -> f.getFileName().toString().matches("snapshot\\.\\d+_\\d+")).toList();
      }
      assertThat(snapshots).as("snapshots of %s", peer).isNotEmpty();
      for (Path f : snapshots) {
        ShardUpgradeDivergenceTest.rewriteAs(5, f.toFile());
      }
    }
    cluster.peerIds().forEach(cluster::startPeer);
    String newLeader = cluster.awaitLeader(GID, WAIT);

    assertThat(everyReplicaAppliedTheSameMarker()).as("the marker after the upgrade").isGreaterThan(upTo);
    assertThat(put(newLeader, client, 6, "after").isSuccess()).isTrue();
  }

  /** Waits until every replica applied a marker; asserts they all count calls from the same index, and returns it. */
  long everyReplicaAppliedTheSameMarker() {
    Poll.until("every replica applied the marker", WAIT, () -> cluster.peerIds().stream()
        .allMatch(p -> machine(p).state().callsKnownFrom() != AppliedCalls.UNKNOWN));
    long knownFrom = machine(cluster.peerIds().get(0)).state().callsKnownFrom();
    for (String peer : cluster.peerIds()) {
      assertThat(machine(peer).state().callsKnownFrom()).as("known from, on %s", peer).isEqualTo(knownFrom);
    }
    return knownFrom;
  }

  ShardStateMachine machine(String peer) {
    return (ShardStateMachine) cluster.stateMachine(peer, GID);
  }

  RaftClientReply put(String to, ClientId client, long callId, String key) throws Exception {
    Command.Put p = Command.Put.unconditional(key.getBytes(StandardCharsets.UTF_8), new byte[] {1});
    RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(client)
        .setServerId(cluster.server(to).getId()).setGroupId(GID).setCallId(callId)
        .setMessage(Message.valueOf(ByteString.copyFrom(WireCodec.encode(p))))
        .setType(RaftClientRequest.writeRequestType()).build();
    RaftClientReply r = cluster.server(to).submitClientRequestAsync(request).get(20, TimeUnit.SECONDS);
    assertThat(r.isSuccess()).as("reply %s", r).isTrue();
    return r;
  }
}
