package io.kvpipe.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.Versions;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.WireCodec;
import io.kvpipe.node.shard.ShardSettings;
import io.kvpipe.node.shard.ShardStateMachine;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.ratis.RatisCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client's resend of a write (same client id, same call id: what the Ratis client sends after a lost reply) that
 * reaches a new leader: it must never be applied a second time. Ratis's retry cache answers it while the leader
 * remembers the call; replicas that restarted from snapshots covering the call do not (the cache lives in memory and
 * is filled by applying entries), and there the write was applied again, with a second version and a second change
 * event (found by review). Real 3-peer Ratis groups on loopback, kv-node's own Raft settings.
 */
class ResendAfterRestartIT {
  static final String GROUP = "g1";
  static final RaftGroupId GID = RaftGroupId.valueOf(GroupIds.uuidOf(GROUP));
  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;
  RatisCluster cluster;
  final AtomicLong transfers = new AtomicLong(1_000);

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  void start(long snapshotThreshold) {
    cluster = RatisCluster.builder(dir).peers(3).group(GID)
        .properties(p -> RaftTuning.apply(p, snapshotThreshold, 1 << 20, 4096))
        .stateMachines((peer, gid) -> new ShardStateMachine(GROUP, new ShardSettings(4096, true, 10_000, 10 << 20)))
        .start();
  }

  /** A put as the Ratis client sends it: a resend carries the same client id and call id. */
  Reply put(String to, ClientId client, long callId, String key, String value) throws Exception {
    RaftClientReply r = send(to, client, callId, key, value);
    assertThat(r.isSuccess()).as("reply %s", r).isTrue();
    return WireCodec.decodeReply(r.getMessage().getContent().asReadOnlyByteBuffer());
  }

  RaftClientReply send(String to, ClientId client, long callId, String key, String value) throws Exception {
    Command.Put p = Command.Put.unconditional(key.getBytes(StandardCharsets.UTF_8),
        value.getBytes(StandardCharsets.UTF_8));
    RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(client)
        .setServerId(cluster.server(to).getId()).setGroupId(GID).setCallId(callId)
        .setMessage(Message.valueOf(ByteString.copyFrom(WireCodec.encode(p))))
        .setType(RaftClientRequest.writeRequestType()).build();
    return cluster.server(to).submitClientRequestAsync(request).get(20, TimeUnit.SECONDS);
  }

  static long version(Reply r) {
    assertThat(r).isInstanceOf(Reply.Written.class);
    return ((Reply.Written) r).version();
  }

  String aFollower(String leader) {
    return cluster.peerIds().stream().filter(p -> !p.equals(leader)).findFirst().orElseThrow();
  }

  /** Asks whoever leads to hand over to {@code to} until it does. */
  void moveLeaderTo(String to) {
    Poll.until("peer " + to + " leads", WAIT, Duration.ofMillis(100), () -> {
      String leader = cluster.leader(GID).orElse(null);
      if (to.equals(leader)) {
        return true;
      }
      if (leader != null) {
        try {
          cluster.server(leader).transferLeadershipAsync(new TransferLeadershipRequest(ClientId.randomId(),
              RaftPeerId.valueOf(leader), GID, transfers.incrementAndGet(), RaftPeerId.valueOf(to), 3_000))
              .get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
          // Refused or timed out (an election under way): the next round asks again.
        }
      }
      return to.equals(cluster.leader(GID).orElse(null));
    });
  }

  /** The version of {@code key} in {@code peer}'s replica, read locally. */
  long versionOf(String peer, String key) throws Exception {
    Message m = cluster.stateMachine(peer, GID).query(Message.valueOf(ByteString.copyFrom(WireCodec.encode(
        new Query.Get(key.getBytes(StandardCharsets.UTF_8)))))).get(10, TimeUnit.SECONDS);
    Reply r = WireCodec.decodeReply(m.getContent().asReadOnlyByteBuffer());
    assertThat(r).isInstanceOf(Reply.Found.class);
    return ((Reply.Found) r).entry().version();
  }

  long applied(String peer) {
    var at = cluster.stateMachine(peer, GID).getLastAppliedTermIndex();
    return at == null ? -1 : at.getIndex();
  }

  /** The control: without a restart, the new leader's retry cache answers the resend with the first reply. */
  @Test
  void aResendToANewLeaderIsAnsweredWithTheFirstReply() throws Exception {
    start(100_000);
    String leader = cluster.awaitLeader(GID, WAIT);
    ClientId client = ClientId.randomId();
    long first = version(put(leader, client, 7, "k", "v1"));
    String follower = aFollower(leader);
    moveLeaderTo(follower);

    assertThat(version(put(follower, client, 7, "k", "v1"))).isEqualTo(first);
  }

  /**
   * Every replica restarted (a rolling restart, a power cut) from a snapshot covering the write, while its client was
   * still resending it: no replica's retry cache knows the call any more.
   */
  @Test
  void aResendAfterTheReplicasRestartedFromSnapshotsIsNotAppliedAgain() throws Exception {
    start(1); // a snapshot after every entry (written in the background)
    String leader = cluster.awaitLeader(GID, WAIT);
    ClientId client = ClientId.randomId();
    long first = version(put(leader, client, 7, "k", "v1"));
    long firstIndex = Versions.logIndex(first);
    AtomicLong calls = new AtomicLong(100);
    cluster.writeUntilSnapshotsCover(GID, firstIndex, WAIT,
        () -> put(leader, client, calls.incrementAndGet(), "other", "x"));
    cluster.peerIds().forEach(cluster::stopPeer);
    cluster.peerIds().forEach(cluster::startPeer);
    String newLeader = cluster.awaitLeader(GID, WAIT);

    RaftClientReply again = send(newLeader, client, 7, "k", "v1");

    // Refused before it is logged (an applied duplicate would be a successful Raft reply carrying a failure), so no
    // check whose answer changed since (a key moved away) can send the proxy to apply it elsewhere.
    assertThat(again.isSuccess()).as("the resend of call 7 must not be applied a second time: %s", again).isFalse();
    assertThat(again.getException()).hasMessageContaining(ErrorCode.TIMEOUT.name())
        .hasMessageContaining("already applied at log index " + firstIndex);
    long resendApplied = applied(newLeader);
    for (String peer : cluster.peerIds()) {
      Poll.until(peer + " applied the resend's entry", WAIT, () -> applied(peer) >= resendApplied);
      assertThat(versionOf(peer, "k")).as("k on %s: still the first write's version", peer).isEqualTo(first);
    }
  }
}
