package io.kvpipe.node.meta;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.MetaQuery;
import io.kvpipe.common.topology.MetaReply;
import io.kvpipe.common.topology.MetaState;
import io.kvpipe.common.topology.TopologyCodec;
import io.kvpipe.common.topology.TopologyTransitions;
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
 * <p>Threads: Ratis' state-machine updater thread is the only writer of {@code state} (apply, snapshot load, also
 * after a snapshot installed from the leader; see {@link SnapshotLoadingStateMachine}); query
 * threads read the volatile reference, which always points to an immutable, fully applied state.
 */
public final class MetaStateMachine extends SnapshotLoadingStateMachine {
  private static final Logger LOG = LoggerFactory.getLogger(MetaStateMachine.class);
  /** Stage timing for scripts/bench-topology.sh (off unless KVPIPE_TRACE is set, see logback.xml). */
  private static final Logger TRACE = LoggerFactory.getLogger("kvpipe.trace.topology");

  private volatile MetaState state = MetaState.EMPTY;
  private final VersionWaiters waiters = new VersionWaiters();

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
    MetaState loaded = MetaSnapshotFile.read(file.toPath());
    state = loaded;
    waiters.changed(versionInfo(loaded));
    setLastAppliedTermIndex(snapshot.getTermIndex());
    LOG.info("meta: loaded snapshot {} (topology version {})", snapshot.getTermIndex(), loaded.topology().version());
  }

  @Override
  protected Frozen freeze(TermIndex at) {
    // On the updater thread, so the state and the last-applied index belong together; the state is immutable.
    MetaState frozen = state;
    return file -> {
      MetaSnapshotFile.write(file.toPath(), frozen);
      return MD5FileUtil.computeAndSaveMd5ForFile(file);
    };
  }

  @Override
  public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
    ByteString data = request.getMessage().getContent();
    TransactionContext.Builder builder = TransactionContext.newBuilder().setStateMachine(this)
        .setClientRequest(request).setLogData(data);
    try {
      builder.setStateMachineContext(TopologyCodec.decodeCommand(data.toByteArray()));
      return builder.build();
    } catch (KvException e) {
      TransactionContext refused = builder.build();
      refused.setException(e);
      return refused;
    }
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    MetaReply reply;
    try {
      MetaCommand command = trx.getStateMachineContext() instanceof MetaCommand c ? c
          : TopologyCodec.decodeCommand(entry.getStateMachineLogEntry().getLogData().toByteArray());
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
    } catch (KvException e) {
      // Only a leader that skipped validation could log such an entry; every replica refuses it the same way.
      LOG.warn("meta: refusing undecodable log entry {}: {}", entry.getIndex(), e.getMessage());
      reply = MetaReply.refused(ErrorCode.MALFORMED_REQUEST, e.getMessage(), state.topology().version());
    }
    updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
    return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(TopologyCodec.encode(reply))));
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
