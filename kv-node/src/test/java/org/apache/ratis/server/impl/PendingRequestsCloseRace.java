package org.apache.ratis.server.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.server.metrics.RaftServerMetricsImpl;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.TransactionContextImpl;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

/**
 * Not part of the suite (it fails while Ratis has the defect; run it with {@code -Dtest=PendingRequestsCloseRace}):
 * Ratis 3.3.0's pending-request limits after a leader's step-down. LeaderStateImpl.stop() closes
 * the limits (ResourceSemaphore.close reduces every semaphore by its limit, so available = -used) and then empties the
 * map; a RequestMap.remove that finds its entry after the close (the apply thread's replyPendingRequest, which read
 * the leader state just before the step-down cleared it) then releases into the closed semaphore and fails its
 * assertion: "available = -N < 0", N = the requests pending at the close. Here the remove is made to run at that
 * point deterministically, from the callback of the first request the step-down answers.
 */
class PendingRequestsCloseRace {
  @Test
  void aRemoveAfterTheStepDownsCloseFailsOnTheClosedSemaphore() throws Exception {
    RaftGroupMemberId member = RaftGroupMemberId.valueOf(RaftPeerId.valueOf("p1"), RaftGroupId.randomId());
    RaftServerMetricsImpl metrics = RaftServerMetricsImpl.computeIfAbsentRaftServerMetrics(member, p -> 0L,
        () -> null);
    PendingRequests pending = new PendingRequests(member, new RaftProperties(), metrics);
    BaseStateMachine sm = new BaseStateMachine();
    ClientId client = ClientId.randomId();
    List<TermIndex> indices = new ArrayList<>();
    List<PendingRequest> added = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(client).setServerId(member.getPeerId())
          .setGroupId(member.getGroupId()).setCallId(i).setMessage(Message.valueOf("put " + i))
          .setType(RaftClientRequest.writeRequestType()).build();
      TransactionContext ctx = TransactionContext.newBuilder().setStateMachine(sm).setServerRole(RaftPeerRole.LEADER)
          .setClientRequest(request).setLogData(ByteString.copyFromUtf8("put " + i)).build();
      ((TransactionContextImpl) ctx).initLogEntry(2, 10 + i);
      PendingRequests.Permit permit = pending.tryAcquire(request.getMessage());
      assertThat(permit).isNotNull();
      PendingRequest p = pending.add(permit, request, ctx);
      indices.add(p.getTermIndex());
      added.add(p);
    }
    // The apply thread's remove, run where it can run in a real server: after the close, before the map is emptied.
    AtomicReference<Throwable> applyFailure = new AtomicReference<>();
    List<CompletableFuture<?>> callbacks = new ArrayList<>();
    for (PendingRequest p : added) {
      callbacks.add(p.getFuture().whenComplete((reply, e) -> {
        for (TermIndex ti : indices) {
          try {
            pending.remove(ti);
          } catch (Throwable t) {
            applyFailure.compareAndSet(null, t);
          }
        }
      }));
    }
    pending.sendNotLeaderResponses(new NotLeaderException(member, null, List.of()), List.of());
    assertThat(applyFailure.get()).as("a remove after the close").isNull();
  }
}
