package io.kvpipe.node.raft;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.server.raftlog.LogProtoUtils;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/** Committed log entries as Ratis hands them to a state machine's apply, for tests that drive apply directly. */
public final class CommittedEntries {
  /**
   * The log data of the marker the version before logged (it counted only on replicas that were unknown); spelled out
   * here so a change to what the node recognises as it shows up.
   */
  public static final ByteString RETIRED_MARKER = ByteString.copyFrom(
      "\0kvpipe: every replica remembers the calls applied from here on".getBytes(StandardCharsets.US_ASCII));

  private CommittedEntries() {}

  /** A committed entry of {@code call} holding {@code logData} at {@code index}, for {@code sm} (as a follower). */
  public static TransactionContext of(StateMachine sm, ByteString logData, long index, AppliedCalls.CallId call) {
    ByteBuffer client = ByteBuffer.allocate(16).putLong(call.clientHigh()).putLong(call.clientLow()).flip();
    StateMachineLogEntryProto entry = StateMachineLogEntryProto.newBuilder().setLogData(logData)
        .setClientId(ByteString.copyFrom(client)).setCallId(call.callId()).build();
    return TransactionContext.newBuilder().setStateMachine(sm).setServerRole(RaftPeerRole.FOLLOWER)
        .setLogEntry(LogProtoUtils.toLogEntryProto(entry, 1, index)).build();
  }
}
