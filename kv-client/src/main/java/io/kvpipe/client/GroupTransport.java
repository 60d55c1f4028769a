package io.kvpipe.client;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import io.kvpipe.common.wire.WireCodec;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.TimeDuration;

/**
 * The Ratis side of one group's client: writes to the leader (Ratis finds it, follows leader changes and retries with
 * the same call id), linearizable reads retried through replica trouble, stale reads moving from replica to replica,
 * every reply decoded into a {@link Reply} (a refusal into a failed future) off Ratis's threads. Thread-safe.
 */
final class GroupTransport implements AutoCloseable {
  private static final TimeDuration RETRY_SLEEP = TimeDuration.valueOf(50, TimeUnit.MILLISECONDS);
  /**
   * Resends in a leader change's first ~300 ms (an election and the new leader's first commit) come quicker: measured
   * with bench-node's kill trials, a 50 ms sleep after "no leader yet" left the write waiting 50-150 ms after the new
   * leader was ready.
   */
  private static final Duration QUICK_RETRY_SLEEP = Duration.ofMillis(10);
  private static final int QUICK_RETRIES = 30;

  private final String group;
  private final RaftGroup raftGroup;
  private final RaftTls tls;
  private final RaftClientSlot raft;
  /** Stale reads go to one chosen replica; a short retry budget lets us move on to the next one quickly. */
  private final RaftClientSlot staleRaft;
  private final AtomicInteger staleCursor = new AtomicInteger();
  /**
   * Replies are decoded, and callers' callbacks run, here rather than on Ratis's reply threads: a caller that issues
   * its next request from a callback (a closed loop, a pipeline) would otherwise block the very thread that delivers
   * replies once Ratis's request window is full, and every request would hang.
   */
  private final ExecutorService callbacks;
  private final ResentCalls resent = new ResentCalls();
  private final long writeWindowNanos;

  GroupTransport(String group, List<PeerAddress> peers, RaftTls tls, Duration operationTimeout, Duration rpcTimeout) {
    this.group = GroupIds.checkName(group);
    this.tls = tls;
    List<RaftPeer> raftPeers = new ArrayList<>();
    for (PeerAddress p : peers) {
      raftPeers.add(RaftPeer.newBuilder().setId(p.id()).setAddress(p.address()).build());
    }
    this.raftGroup = RaftGroup.valueOf(RaftGroupId.valueOf(GroupIds.uuidOf(group)), raftPeers);
    // Bounded by time, not by attempts: resends past the replicas' retry cache would apply a write twice.
    RetryPolicy retry = resent.noting(
        RetryWindow.policy(operationTimeout, QUICK_RETRY_SLEEP, QUICK_RETRIES,
            Duration.ofMillis(RETRY_SLEEP.toLong(TimeUnit.MILLISECONDS))));
    this.writeWindowNanos = operationTimeout.toNanos();
    RetryPolicy staleRetry = RetryPolicies.retryUpToMaximumCountWithFixedSleep(2, RETRY_SLEEP);
    this.callbacks = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "kv-client-" + group + "-replies");
      t.setDaemon(true);
      return t;
    });
    this.raft = new RaftClientSlot(() -> newRaftClient(rpcTimeout, retry));
    this.staleRaft = new RaftClientSlot(() -> newRaftClient(rpcTimeout, staleRetry));
  }

  /** How many requests the resend bookkeeping holds now (tests: it must not outlive the requests). */
  int resendsRemembered() {
    return resent.size();
  }

  RaftGroup raftGroup() {
    return raftGroup;
  }

  RaftTls tls() {
    return tls;
  }

  private RaftClient newRaftClient(Duration rpcTimeout, RetryPolicy retry) {
    RaftProperties props = new RaftProperties();
    RaftConfigKeys.Rpc.setType(props, SupportedRpcType.GRPC);
    RaftClientConfigKeys.Rpc.setRequestTimeout(props,
        TimeDuration.valueOf(rpcTimeout.toMillis(), TimeUnit.MILLISECONDS));
    RaftClientConfigKeys.Async.setOutstandingRequestsMax(props, 4096);
    ClientId id = ClientId.randomId();
    return RaftClient.newBuilder()
        .setClientId(id)
        .setRaftGroup(raftGroup)
        .setProperties(props)
        .setClientRpc(tls.clientFactory().newRaftClientRpc(id, props))
        .setRetryPolicy(retry)
        .build();
  }

  /**
   * A write (a command through the Raft log) to the leader. A leader handing over its leadership refuses it before
   * logging it, and Ratis passes that on instead of resending: sent again here, as a new request, if Ratis had sent
   * it only once (see {@link ResentCalls}; otherwise its outcome is unknown and the caller gets an
   * {@link io.kvpipe.common.error.OutcomeUnknownException}, as after any failure that may hide a logged attempt).
   */
  CompletableFuture<Reply> write(Request request) {
    return write(toMessage(request), System.nanoTime() + writeWindowNanos);
  }

  private CompletableFuture<Reply> write(Message message, long deadlineNanos) {
    RaftClient c = raft.get();
    return c.async().send(message).handleAsync((reply, error) -> {
      boolean resentByRatis = resent.forget(message);
      Throwable refusal = error != null ? RaftErrors.unwrap(error) : reply.isSuccess() ? null : reply.getException();
      if (refusal instanceof LeaderSteppingDownException && !resentByRatis
          && System.nanoTime() + RETRY_SLEEP.toLong(TimeUnit.NANOSECONDS) < deadlineNanos) {
        return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(
                RETRY_SLEEP.toLong(TimeUnit.MILLISECONDS), TimeUnit.MILLISECONDS, callbacks))
            .thenCompose(ignored -> write(message, deadlineNanos));
      }
      try {
        return CompletableFuture.completedFuture(decode(raft, c, reply, error));
      } catch (KvException e) {
        // Typed here, where it is known that this was a write and whether Ratis resent it: the caller must tell an
        // unknown outcome from a refusal without reading the message (review finding 5). A resent write refused by a
        // leader stepping down is one of them.
        return CompletableFuture.<Reply>failedFuture(RaftErrors.ofWrite(e, refusal, resentByRatis, group));
      } catch (RuntimeException e) {
        return CompletableFuture.<Reply>failedFuture(e);
      }
    }, callbacks).thenCompose(Function.identity());
  }

  /**
   * A linearizable read. Reads are idempotent, so a retriable failure Ratis does not retry itself (e.g. a follower
   * that cannot get a read index from a leader elected a moment ago) is retried here until {@code deadlineNanos}.
   */
  CompletableFuture<Reply> linearizableRead(Request request, long deadlineNanos) {
    return linearizableRead(toMessage(request), deadlineNanos);
  }

  private CompletableFuture<Reply> linearizableRead(Message message, long deadlineNanos) {
    RaftClient c = raft.get();
    return translate(raft, c, c.async().sendReadOnlyUnordered(message))
        .handle((reply, error) -> {
          // The client's retry policy notes every request it resends, reads too; only writes need to know, and a
          // read must not leave its message behind (it did: one per read Ratis retried, for the client's life).
          resent.forget(message);
          if (error == null) {
            return CompletableFuture.completedFuture(reply);
          }
          KvException kv = RaftErrors.toKvException(error, group);
          if (replicaTrouble(kv) && System.nanoTime() + RETRY_SLEEP.toLong(TimeUnit.NANOSECONDS) < deadlineNanos) {
            return CompletableFuture.supplyAsync(() -> null,
                    CompletableFuture.delayedExecutor(RETRY_SLEEP.toLong(TimeUnit.MILLISECONDS), TimeUnit.MILLISECONDS))
                .thenCompose(ignored -> linearizableRead(message, deadlineNanos));
          }
          return CompletableFuture.<Reply>failedFuture(kv);
        })
        .thenCompose(Function.identity());
  }

  /** A read any replica answers from its applied state, trying replicas in turn (one being down costs little). */
  CompletableFuture<Reply> staleRead(Request request) {
    List<RaftPeer> peers = raftGroup.getPeers().stream().toList();
    int start = Math.floorMod(staleCursor.getAndIncrement(), peers.size());
    return staleRead(toMessage(request), peers, start, 0);
  }

  private CompletableFuture<Reply> staleRead(Message message, List<RaftPeer> peers, int start, int tried) {
    RaftPeerId target = peers.get((start + tried) % peers.size()).getId();
    RaftClient c = staleRaft.get();
    return translate(staleRaft, c, c.async().sendStaleRead(message, 0, target))
        .handle((reply, error) -> {
          if (error == null) {
            return CompletableFuture.completedFuture(reply);
          }
          KvException kv = RaftErrors.toKvException(error, group);
          if (replicaTrouble(kv) && tried + 1 < peers.size()) {
            return staleRead(message, peers, start, tried + 1);
          }
          return CompletableFuture.<Reply>failedFuture(kv);
        })
        .thenCompose(Function.identity());
  }

  /**
   * Failures another attempt (later, or on another replica) may cure. Not WRONG_GROUP, though it is retriable for
   * the caller: it is the group's answer, and only the caller can act on it (reload its ring), so retrying it here
   * would hold a stale router's read until the deadline.
   */
  private static boolean replicaTrouble(KvException kv) {
    return kv.code() == ErrorCode.NO_LEADER || kv.code() == ErrorCode.UNAVAILABLE || kv.code() == ErrorCode.TIMEOUT;
  }

  /** The id of the replica that says it leads the group now, asking each replica in turn; empty if none does. */
  Optional<String> findLeader() {
    try (RaftClient probe = newRaftClient(Duration.ofSeconds(1), RetryPolicies.noRetry())) {
      for (RaftPeer peer : raftGroup.getPeers()) {
        try {
          GroupInfoReply info = probe.getGroupManagementApi(peer.getId()).info(raftGroup.getGroupId());
          if (info.isSuccess() && info.getRoleInfoProto().getRole() == RaftPeerRole.LEADER) {
            return Optional.of(peer.getId().toString());
          }
        } catch (IOException e) {
          // This replica is down or does not host the group; another one may still answer.
          continue;
        }
      }
      return Optional.empty();
    } catch (IOException e) {
      throw new KvException(ErrorCode.UNAVAILABLE, "cannot close the leader probe of group " + group, e);
    }
  }

  private static Message toMessage(Request r) {
    return Message.valueOf(UnsafeByteOperations.unsafeWrap(WireCodec.encode(r)));
  }

  private CompletableFuture<Reply> translate(RaftClientSlot slot, RaftClient used,
                                             CompletableFuture<RaftClientReply> future) {
    return future.handleAsync((reply, error) -> decode(slot, used, reply, error), callbacks);
  }

  /** A Ratis answer as our reply, or the failure it means (thrown). */
  private Reply decode(RaftClientSlot slot, RaftClient used, RaftClientReply reply, Throwable error) {
    if (error != null) {
      slot.onFailure(used, error);
      throw RaftErrors.toKvException(error, group);
    }
    if (!reply.isSuccess()) {
      throw RaftErrors.toKvException(reply.getException(), group);
    }
    Reply decoded = WireCodec.decodeReply(reply.getMessage().getContent().asReadOnlyByteBuffer());
    if (decoded instanceof Reply.Failure f) {
      throw f.toException();
    }
    return decoded;
  }

  @Override
  public void close() {
    raft.close();
    staleRaft.close();
    callbacks.shutdown();
  }
}
