package io.kvpipe.node.meta;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.MetaQuery;
import io.kvpipe.common.topology.MetaReply;
import io.kvpipe.common.topology.MetaState;
import io.kvpipe.common.topology.TopologyCodec;
import io.kvpipe.common.topology.TopologyTransitions;
import io.kvpipe.common.wire.RejectedRequestException;
import io.kvpipe.node.raft.AppliedCalls;
import io.kvpipe.node.raft.SnapshotLoadingStateMachine;
import java.io.File;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The meta group's state machine: holds the {@link MetaState} (topology + recent events) and applies
 * {@link MetaCommand}s through {@link TopologyTransitions}. Commands are decoded (validated) in
 * {@link #startTransaction} so a malformed one never enters the log; refusals that depend on the state (conflicts,
 * unknown groups) are deterministic replies from {@link #applyTransaction}, which leave the state unchanged.
 *
 * <p>A resend of a command already applied (same client id and call id, after a lost reply) is never applied again,
 * also when every replica restarted from a snapshot since and Ratis's retry cache (in memory) forgot it: the group
 * keeps the calls it applied in the last two minutes of its log time in its {@link AppliedCalls} (replicated, in its
 * snapshots), refuses a remembered one before logging it, and answers a duplicate that reached the log anyway without
 * applying it. Either answer is TIMEOUT "already applied at log index N": the first reply is not kept, so the outcome
 * is unknown to the caller, who reads the topology to learn it. The meta log carries no leader stamp; its time is the
 * newest command time ({@link MetaCommand#atMs()}, the proposer's clock) applied, a high-water mark read from the log.
 *
 * <p>Threads: Ratis' state-machine updater thread is the only writer of {@code state}, {@code calls} and
 * {@code logTimeMs} (apply, snapshot load, also after a snapshot installed from the leader; see
 * {@link SnapshotLoadingStateMachine}); query threads read the volatile reference, which always points to an
 * immutable, fully applied state; the leader looks calls up from its request threads ({@link AppliedCalls#appliedAt}).
 */
public final class MetaStateMachine extends SnapshotLoadingStateMachine {
  private static final Logger LOG = LoggerFactory.getLogger(MetaStateMachine.class);
  /** Stage timing for scripts/bench-topology.sh (off unless KVPIPE_TRACE is set, see logback.xml). */
  private static final Logger TRACE = LoggerFactory.getLogger("kvpipe.trace.topology");

  private volatile MetaState state = MetaState.EMPTY;
  private final VersionWaiters waiters = new VersionWaiters();
  /** The client calls applied within the window ({@link AppliedCalls}), part of the replicated state. */
  private final AppliedCalls calls = new AppliedCalls();
  /** The meta log's time: the newest {@link MetaCommand#atMs()} applied (a high-water mark). Updater thread only. */
  private long logTimeMs;

  @Override
  protected void loadLatestSnapshot() throws IOException {
    SingleFileSnapshotInfo snapshot = latestSnapshot();
    if (snapshot == null) {
      return;
    }
    File file = snapshot.getFile().getPath().toFile();
    if (snapshot.hasMd5()) {
      MD5FileUtil.verifySavedMD5(file, snapshot.getFile().getFileDigest());
    }
    MetaSnapshotFile.Loaded loaded = MetaSnapshotFile.read(file.toPath());
    restore(loaded);
    setLastAppliedTermIndex(snapshot.getTermIndex());
    LOG.info("meta: loaded snapshot {} (topology version {}, {} recent calls)", snapshot.getTermIndex(),
        loaded.state().topology().version(), loaded.calls().size());
  }

  /** Replaces the state with a snapshot's. Updater thread (or during initialize). */
  void restore(MetaSnapshotFile.Loaded loaded) {
    state = loaded.state();
    calls.restore(loaded.calls(), loaded.callsKnownFrom());
    logTimeMs = loaded.logTimeMs();
    waiters.changed(versionInfo(loaded.state()));
  }

  @Override
  protected Frozen freeze(TermIndex at) {
    // On the updater thread, so the state and the last-applied index belong together; the state is immutable.
    MetaSnapshotFile.Loaded frozen = frozen();
    return file -> {
      MetaSnapshotFile.write(file.toPath(), frozen);
      return MD5FileUtil.computeAndSaveMd5ForFile(file);
    };
  }

  /** What a snapshot holds, captured now. Updater thread. */
  MetaSnapshotFile.Loaded frozen() {
    return new MetaSnapshotFile.Loaded(state, calls.all(), calls.knownFrom(), logTimeMs);
  }

  @Override
  protected long callsKnownFrom() {
    return calls.knownFrom();
  }

  @Override
  public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
    ByteString data = request.getMessage().getContent();
    TransactionContext.Builder builder = TransactionContext.newBuilder().setStateMachine(this)
        .setClientRequest(request).setLogData(data);
    if (AppliedCalls.isMarker(data)) {
      return builder.build();
    }
    try {
      // A resend of a call applied before this replica restarted (Ratis's retry cache forgot it): refused before it
      // is logged, ahead of the command's own checks (which would refuse a guarded command that succeeded, and let
      // an unguarded one change the topology again).
      long first = calls.appliedAt(AppliedCalls.CallId.of(request));
      if (first >= 0) {
        throw alreadyApplied(first);
      }
      builder.setStateMachineContext(TopologyCodec.decodeCommand(data.toByteArray()));
      return builder.build();
    } catch (KvException e) {
      // As the shard groups do: the client rebuilds the code from the message (a TIMEOUT as an unknown outcome).
      TransactionContext refused = builder.build();
      refused.setException(RejectedRequestException.of(e));
      return refused;
    }
  }

  private static KvException alreadyApplied(long first) {
    return AppliedCalls.alreadyApplied(MetaGroup.NAME, first, "read the topology to learn it (kvctl topology,"
        + " kvctl migrations list)");
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    AppliedCalls.CallId call = AppliedCalls.CallId.of(entry.getStateMachineLogEntry());
    MetaReply reply;
    try {
      ByteString logData = entry.getStateMachineLogEntry().getLogData();
      if (AppliedCalls.isMarker(logData)) {
        reply = markCallsKnown(entry.getIndex());
      } else if (AppliedCalls.isRetiredMarker(logData)) {
        reply = MetaReply.applied(false, state.topology().version());
      } else {
        MetaCommand command = trx.getStateMachineContext() instanceof MetaCommand c ? c
            : TopologyCodec.decodeCommand(logData.toByteArray());
        reply = apply(command, entry.getIndex(), call);
      }
    } catch (KvException e) {
      // Only a leader that skipped validation could log such an entry; every replica refuses it the same way.
      LOG.warn("meta: refusing undecodable log entry {}: {}", entry.getIndex(), e.getMessage());
      reply = MetaReply.refused(ErrorCode.MALFORMED_REQUEST, e.getMessage(), state.topology().version());
      calls.applied(call, entry.getIndex(), logTimeMs);
    }
    updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
    return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(TopologyCodec.encode(reply))));
  }

  /**
   * Applies one committed command, the call {@code call} (null: none) at {@code index}, unless that call was applied
   * before within {@link AppliedCalls#WINDOW_MS}, at an index every replica knows it from
   * ({@link AppliedCalls#duplicateOf}): a duplicate changes nothing and is answered as a resend is
   * ({@link #startTransaction}). Whatever the command's outcome, the call is remembered. Updater thread.
   */
  MetaReply apply(MetaCommand command, long index, AppliedCalls.CallId call) {
    logTimeMs = Math.max(logTimeMs, command.atMs());
    long first = calls.duplicateOf(call);
    MetaReply reply;
    if (first >= 0) {
      KvException again = alreadyApplied(first);
      LOG.warn("meta: log index {} repeats the call applied at {}; not applied again", index, first);
      reply = MetaReply.refused(again.code(), again.getMessage(), state.topology().version());
    } else {
      TopologyTransitions.Result result = TopologyTransitions.apply(state, command);
      long before = state.topology().version();
      state = result.state();
      reply = result.reply();
      if (state.topology().version() != before) {
        if (TRACE.isInfoEnabled()) {
          TRACE.info("meta-applied version={} at={}", state.topology().version(), System.nanoTime());
        }
        waiters.changed(versionInfo(state));
      }
    }
    calls.applied(call, index, logTimeMs);
    return reply;
  }

  /** Applies the marker entry ({@link AppliedCalls#MARKER}) at {@code index}: it changes nothing else. */
  MetaReply markCallsKnown(long index) {
    calls.markKnownFrom(index);
    return MetaReply.applied(false, state.topology().version());
  }

  /** Calls remembered as applied (for tests). */
  int rememberedCalls() {
    return calls.size();
  }

  @Override
  public CompletableFuture<Message> query(Message request) {
    try {
      MetaQuery q = TopologyCodec.decodeQuery(request.getContent().toByteArray());
      if (q instanceof MetaQuery.ChangedAfter x) {
        return waiters.await(x.version(), x.waitMillis(), () -> versionInfo(state))
            .thenApply(v -> Message.valueOf(ByteString.copyFrom(TopologyCodec.encode(v))));
      }
      if (q instanceof MetaQuery.ChangesAfter x) {
        // Answered from one read of the state (at least as new as the version that woke the reader), so the
        // topology and the events agree.
        return waiters.await(x.version(), x.waitMillis(), () -> versionInfo(state)).thenApply(v -> {
          MetaState s = state;
          MetaQuery.Changes c = new MetaQuery.Changes(s.topology(), s.eventsSince(x.version(), MetaState.MAX_EVENTS));
          return Message.valueOf(ByteString.copyFrom(TopologyCodec.encode(c)));
        });
      }
      MetaState s = state;
      Object answer = switch (q) {
        case MetaQuery.Snapshot x -> s.topology();
        case MetaQuery.Version x -> versionInfo(s);
        case MetaQuery.EventsSince x -> s.eventsSince(x.since(), x.limit());
        case MetaQuery.ChangedAfter x -> throw new IllegalStateException("answered above");
        case MetaQuery.ChangesAfter x -> throw new IllegalStateException("answered above");
      };
      return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(TopologyCodec.encode(answer))));
    } catch (KvException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static MetaQuery.VersionInfo versionInfo(MetaState s) {
    return new MetaQuery.VersionInfo(s.topology().version(), s.topology().epoch());
  }

  @Override
  public void close() throws IOException {
    waiters.close();
    super.close();
  }

  /** Readers this replica holds until the topology changes ({@link MetaQuery.ChangedAfter}). */
  public int heldReaders() {
    return waiters.size();
  }

  /** The current state (for the hosting process's status page and tests). */
  public MetaState state() {
    return state;
  }

}
