package io.kvpipe.node.raft;

import java.util.Set;
import java.util.concurrent.Executor;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.proto.grpc.RaftClientProtocolServiceGrpc;
import org.apache.ratis.proto.grpc.RaftServerProtocolServiceGrpc;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.ServerCall;
import org.apache.ratis.thirdparty.io.grpc.ServerCallExecutorSupplier;

/**
 * Runs the Raft server's busiest gRPC streams on the transport (Netty event-loop) thread that read each message,
 * instead of gRPC's default of handing every message to its executor: a follower's AppendEntries stream and the
 * clients' request streams.
 *
 * <p>Why: every message handed over is a thread wake-up, and on a small box a wake-up is a wait for a core. Traced
 * at one write in flight (strace, leader): ~64 futex calls per write across a dozen threads; the handler of each of
 * these streams only decodes, checks and enqueues (Ratis's append and the state machine's startTransaction are
 * asynchronous; the log's own worker does the disk I/O), so it can run where the message was read. The other calls
 * (votes, snapshot installs, leader elections, admin group changes, read-index) stay on gRPC's executor: some of
 * them write to disk before they reply, and an event-loop thread blocked on disk would stall every connection it
 * serves, heartbeats included. A stale (follower) read's query runs on the transport thread too: it is bounded by a
 * page, like any reply the thread serialises. Measured by {@code scripts/bench-knobs.sh} (variant
 * {@code inline-calls-off}).
 */
public final class InlineRaftCalls {
  private InlineRaftCalls() {}

  /** The streams whose messages are handled on the transport thread (gRPC full method names). */
  static final Set<String> METHODS = Set.of(
      RaftServerProtocolServiceGrpc.getAppendEntriesMethod().getFullMethodName(),
      RaftClientProtocolServiceGrpc.getOrderedMethod().getFullMethodName(),
      RaftClientProtocolServiceGrpc.getUnorderedMethod().getFullMethodName());

  private static final Executor TRANSPORT_THREAD = Runnable::run;

  /**
   * Returns {@code parameters} with the Raft server's gRPC services set to run {@link #METHODS} inline, after
   * whatever customizer {@code parameters} already had.
   */
  public static Parameters apply(Parameters parameters) {
    return ServerCustomizers.chain(parameters, builder -> builder.callExecutor(new ServerCallExecutorSupplier() {
      @Override
      public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata headers) {
        return executorFor(call.getMethodDescriptor().getFullMethodName());
      }
    }));
  }

  /** The transport thread for {@link #METHODS}, else null: gRPC's default executor. */
  static Executor executorFor(String fullMethodName) {
    return METHODS.contains(fullMethodName) ? TRANSPORT_THREAD : null;
  }
}
