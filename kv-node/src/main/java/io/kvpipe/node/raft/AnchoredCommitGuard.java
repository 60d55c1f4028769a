package io.kvpipe.node.raft;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.grpc.RaftServerProtocolServiceGrpc;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.thirdparty.io.grpc.ForwardingServerCallListener;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.ServerCall;
import org.apache.ratis.thirdparty.io.grpc.ServerCallHandler;
import org.apache.ratis.thirdparty.io.grpc.ServerInterceptor;

/**
 * Keeps a follower from committing log entries that an AppendEntries without a previous entry never vouched for.
 *
 * <p>Why: Ratis 3.3.0 takes a follower's commit index from an AppendEntries as min(leaderCommit, previous index +
 * entries carried), and for a request without a previous entry (sent from the log's start) it counts the previous
 * index as 0 instead of -1 ({@code ServerImplUtils.effectiveCommitIndex}): one entry too many. A heartbeat sent from
 * the log's start thus commits a follower's entry 0 whatever its term. The leader computes the commit it sends the same
 * way (so such a heartbeat carries a leader commit of at most 0), and it sends no previous entry not only to a follower
 * it has nothing matched with (next index 0) but on every heartbeat while an append to that follower is in flight,
 * whatever the follower's next index (Ratis 3.3.0 LogAppenderBase.newAppendEntriesRequest): under load many
 * heartbeats get here, and the guard lowers their commit from 0 to -1, which takes nothing from a follower (its
 * commit only rises, and the next anchored request carries it on). At a loaded cluster start, a replica that led a new
 * group for a moment keeps its own first entry (its configuration entry, never committed); when the next leader's
 * heartbeat from index 0 committed it, the replica refused the leader's entry 0 as already committed and the leader
 * found no entry in common, so the follower answered INCONSISTENCY for good and never caught up
 * ({@code StaleFirstEntryIT}). An append from index 0 is off by one the same way: it may commit one stale entry past
 * those it carries.
 *
 * <p>How: before Ratis reads such a request, its leaderCommit is capped at the last entry it carries from the log's
 * start (-1 for a heartbeat, or for entries that do not begin at the start: nothing before them was checked). That
 * only lowers the commit index a follower takes from a request that proves nothing about its older entries; the next
 * request, anchored at an entry both logs share, carries the commit on as before.
 */
public final class AnchoredCommitGuard implements ServerInterceptor {
  private static final String APPEND_ENTRIES =
      RaftServerProtocolServiceGrpc.getAppendEntriesMethod().getFullMethodName();

  /** Adds the guard to the Raft server's gRPC services, after whatever customizer {@code parameters} has. */
  public static Parameters apply(Parameters parameters) {
    AnchoredCommitGuard guard = new AnchoredCommitGuard();
    return ServerCustomizers.chain(parameters, builder -> builder.intercept(guard));
  }

  /** The request Ratis is given: {@code r} itself, or, if it has no previous entry, with its commit capped. */
  static AppendEntriesRequestProto anchored(AppendEntriesRequestProto r) {
    if (r.hasPreviousLog()) {
      return r;
    }
    boolean fromStart = r.getEntriesCount() > 0 && r.getEntries(0).getIndex() == RaftLog.LEAST_VALID_LOG_INDEX;
    long vouched = fromStart ? r.getEntries(r.getEntriesCount() - 1).getIndex() : RaftLog.INVALID_LOG_INDEX;
    return r.getLeaderCommit() > vouched ? r.toBuilder().setLeaderCommit(vouched).build() : r;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                     ServerCallHandler<Q, R> next) {
    ServerCall.Listener<Q> listener = next.startCall(call, headers);
    if (!APPEND_ENTRIES.equals(call.getMethodDescriptor().getFullMethodName())) {
      return listener;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      @SuppressWarnings("unchecked")
      public void onMessage(Q message) {
        super.onMessage(message instanceof AppendEntriesRequestProto r ? (Q) anchored(r) : message);
      }
    };
  }
}
