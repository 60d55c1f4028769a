package io.kvpipe.node.shard;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.RejectedRequestException;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import io.kvpipe.common.wire.WireCodec;
import io.kvpipe.node.raft.AppliedCalls;
import io.kvpipe.node.raft.SnapshotLoadingStateMachine;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ratis state machine of one shard group replica: validates and stamps writes on the leader
 * ({@link #startTransaction}), applies committed commands to a {@link ShardState} ({@link #applyTransaction}), answers
 * reads ({@link #query}), and snapshots to a checksummed file named by term and index ({@link #takeSnapshot}).
 *
 * <p>Threads: Ratis's apply thread calls applyTransaction, takeSnapshot and reinitialize, and is the only writer of
 * the state; request threads call startTransaction and query, which only read; the state object is swapped whole
 * (volatile) when a snapshot is loaded.
 */
public final class ShardStateMachine extends SnapshotLoadingStateMachine implements OutboxView {
  private static final Logger LOG = LoggerFactory.getLogger(ShardStateMachine.class);

  private final String group;
  private final MigrationApplyLog migrationApplies;
  private final ShardSettings settings;
  private final CopyOnWriteArrayList<LeadershipListener> listeners = new CopyOnWriteArrayList<>();
  private final ClientId confirmClientId = ClientId.randomId();
  private final AtomicLong confirmCallIds = new AtomicLong();
  private volatile ShardState state;
  private volatile boolean leader;
  /** Client writes applied and refused at apply time (CAS mismatch, fenced key, full outbox); for metrics. */
  private final LongAdder writesApplied = new LongAdder();
  /** Time to apply one entry ({@code kvpipe_raft_apply_seconds}); null until {@link #bindMetrics}. */
  private volatile Timer applyTimer;
  private final LongAdder writesRefused = new LongAdder();

  private final ClientId expiryClientId = ClientId.randomId();
  private final ExpiryCollector expiry;
  private final byte[] failApplyKey = TestFaults.failApplyKey();

  public ShardStateMachine(String group, ShardSettings settings) {
    this(group, settings, ExpirySettings.DEFAULT);
  }

  public ShardStateMachine(String group, ShardSettings settings, ExpirySettings expirySettings) {
    this.group = group;
    this.migrationApplies = new MigrationApplyLog(group);
    this.settings = settings;
    this.state = new ShardState(group);
    this.expiry = new ExpiryCollector(group, () -> state, this::proposeExpiry, expirySettings);
  }

  /** Keys whose expiry this replica proposed and saw applied while it led; for metrics and tests. */
  long expiredAsLeader() {
    return expiry.expired();
  }

  private CompletableFuture<Reply> proposeExpiry(Command.Expire command) {
    return submitOwn(expiryClientId, command).thenApply(reply -> {
      if (!reply.isSuccess()) {
        throw new CompletionException(new KvException(ErrorCode.NO_LEADER,
            "expiry not committed: " + reply.getException(), reply.getException()));
      }
      return WireCodec.decodeReply(reply.getMessage().getContent().asReadOnlyByteBuffer());
    });
  }

  /** Submits a command of this replica's own (not a client's) to its server, as the leader. */
  private CompletableFuture<RaftClientReply> submitOwn(ClientId clientId, Command command) {
    return submitOwn(clientId, confirmCallIds.incrementAndGet(), toRequestMessage(command));
  }

  @Override
  public void close() throws IOException {
    expiry.close();
    super.close();
  }

  @Override
  protected long callsKnownFrom() {
    return state.callsKnownFrom();
  }

  /** The replica's current state (replaced whole when a snapshot is loaded); for assertions on replica state. */
  ShardState state() {
    return state;
  }

  @Override
  protected void loadLatestSnapshot() throws IOException {
    SingleFileSnapshotInfo snapshot = latestSnapshot();
    if (snapshot == null) {
      state = new ShardState(group);
      return;
    }
    File file = snapshot.getFile().getPath().toFile();
    SnapshotFile.Loaded loaded = SnapshotFile.read(file);
    if (!loaded.state().group().equals(group)) {
      throw new IOException("snapshot " + file + " belongs to group " + loaded.state().group() + ", not " + group);
    }
    state = loaded.state();
    setLastAppliedTermIndex(TermIndex.valueOf(loaded.term(), loaded.index()));
    LOG.info("group={} loaded snapshot term={} index={} records={} outbox={}", group, loaded.term(),
        loaded.index(), loaded.state().store().size(), loaded.state().outbox().size());
    if (loaded.beforeHashTags()) {
      StrandedTaggedKeys.Found stranded = StrandedTaggedKeys.in(loaded.state());
      if (stranded.count() > 0) {
        // Loud, not fatal: refusing to start would take the group's other keys down with them.
        LOG.error("group={}: {} keys with a hash tag (e.g. '{}') were stored before hash tags existed and now belong"
            + " to another group: reads will not find them and a purge would drop them; move them as docs/txn.md"
            + " says (\"Upgrading a store that already holds keys with braces\")", group, stranded.count(),
            stranded.example());
      }
    }
  }

  /** A shard's store can be large: its snapshots are written off the apply thread. */
  @Override
  protected boolean writesInBackground() {
    return true;
  }

  @Override
  protected Frozen freeze(TermIndex at) {
    ShardState.Frozen frozen = state.freeze();
    return new Frozen() {
      @Override
      public MD5Hash writeTo(File file) throws IOException {
        return SnapshotFile.write(frozen, at.getTerm(), at.getIndex(), file);
      }

      @Override
      public void release() {
        frozen.release();
      }
    };
  }

  private LogStamp newStamp() {
    // Never behind a stamp already applied (a new leader's clock may be): apply would move it up anyway.
    return new LogStamp(Math.max(System.currentTimeMillis(), state.newestStampMs()), settings.cdcEnabled(),
        settings.outboxMaxEvents(), settings.outboxMaxBytes());
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
    TestFaults.holdStart(group);
    super.initialize(server, groupId, raftStorage);
  }

  @Override
  public TransactionContext startTransaction(RaftClientRequest request) {
    TransactionContext.Builder trx = TransactionContext.newBuilder().setStateMachine(this).setClientRequest(request);
    Command command = null;
    try {
      if (AppliedCalls.isMarker(request.getMessage().getContent())) {
        return trx.setLogData(AppliedCalls.MARKER).build();
      }
      ByteBuffer content = request.getMessage().getContent().asReadOnlyByteBuffer();
      Request decoded = WireCodec.decodeRequest(content);
      if (!(decoded instanceof Command c)) {
        throw new KvException(ErrorCode.MALFORMED_REQUEST, "a read was sent as a write");
      }
      command = c;
      // A resend of a call applied before this replica restarted (Ratis's retry cache forgot it): refused before the
      // checks, whose answer may have changed since (a key moved away would send the proxy to apply it elsewhere).
      long first = state.appliedAt(AppliedCalls.CallId.of(request));
      if (first >= 0) {
        throw state.alreadyApplied(first);
      }
      LogStamp stamp = newStamp();
      state.validate(command, settings.maxValueBytes(), stamp);
      if (stamp.cdcEnabled()) {
        CdcEventLimit.check(state, command, settings.eventLimit());
      }
      byte[] logData = stamp.wrap(request.getMessage().getContent().toByteArray());
      return trx.setLogData(UnsafeByteOperations.unsafeWrap(logData)).setStateMachineContext(command).build();
    } catch (KvException e) {
      if (command != null) {
        OpLog.rejected(group, command, e);
      }
      return trx.build().setException(RejectedRequestException.of(e));
    } catch (RuntimeException bug) {
      // Validation must answer every request: an escaped exception would leave the caller waiting forever.
      OpLog.validationBug(group, command, bug);
      return trx.build().setException(RejectedRequestException.of(
          new KvException(ErrorCode.INTERNAL, "the node could not validate the request: " + bug)));
    }
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    long index = entry.getIndex();
    long term = entry.getTerm();
    Reply reply;
    try {
      if (AppliedCalls.isMarker(entry.getStateMachineLogEntry().getLogData())) {
        reply = state.markCallsKnown(index);
        updateLastAppliedTermIndex(term, index);
        return CompletableFuture.completedFuture(toMessage(reply));
      }
      if (AppliedCalls.isRetiredMarker(entry.getStateMachineLogEntry().getLogData())) {
        reply = state.applyNothing(index);
        updateLastAppliedTermIndex(term, index);
        return CompletableFuture.completedFuture(toMessage(reply));
      }
      ByteBuffer data = entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer();
      LogStamp stamp = LogStamp.read(data);
      Command command = trx.getStateMachineContext() instanceof Command c ? c : decodeCommand(data);
      long applyStart = System.nanoTime();
      TestFaults.failApply(failApplyKey, command);
      reply = state.apply(command, index, term, stamp, AppliedCalls.CallId.of(entry.getStateMachineLogEntry()));
      Timer t = applyTimer;
      if (t != null) {
        t.record(System.nanoTime() - applyStart, java.util.concurrent.TimeUnit.NANOSECONDS);
      }
      migrationApplies.applied(command, reply, applyStart);
      countWrites(command, reply);
    } catch (KvException e) {
      // Only reachable for an entry no leader of ours would have written; refuse it identically everywhere.
      reply = Reply.Failure.of(e);
    } catch (RuntimeException | Error bug) {
      // Ratis closes this replica for good on anything else; record why, so the node can say it.
      recordFatal("applying log index " + index, bug);
      throw bug;
    }
    updateLastAppliedTermIndex(term, index);
    return CompletableFuture.completedFuture(toMessage(reply));
  }

  private void countWrites(Command command, Reply reply) {
    if (command instanceof Command.Put || command instanceof Command.Delete || command instanceof Command.SetTtl) {
      (reply instanceof Reply.Failure ? writesRefused : writesApplied).increment();
    } else if (command instanceof Command.Batch && reply instanceof Reply.Batch batch) {
      for (Reply r : batch.replies()) {
        (r instanceof Reply.Failure ? writesRefused : writesApplied).increment();
      }
    } else if (command instanceof Command.Txn) {
      (reply instanceof Reply.Failure ? writesRefused : writesApplied).increment();
    }
  }

  private static Command decodeCommand(ByteBuffer data) {
    if (WireCodec.decodeRequest(data) instanceof Command c) {
      return c;
    }
    throw new KvException(ErrorCode.MALFORMED_REQUEST, "log entry holds a read");
  }

  @Override
  public CompletableFuture<Message> query(Message request) {
    Reply reply;
    Query query = null;
    try {
      Request decoded = WireCodec.decodeRequest(request.getContent().asReadOnlyByteBuffer());
      if (!(decoded instanceof Query q)) {
        throw new KvException(ErrorCode.MALFORMED_REQUEST, "a write was sent as a read");
      }
      query = q;
      reply = state.query(q);
    } catch (KvException e) {
      reply = Reply.Failure.of(e);
    }
    if (query != null) {
      OpLog.read(group, query, reply);
    }
    return CompletableFuture.completedFuture(toMessage(reply));
  }

  private static Message toMessage(Reply reply) {
    return Message.valueOf(UnsafeByteOperations.unsafeWrap(WireCodec.encode(reply)));
  }

  @Override
  public void notifyLeaderChanged(RaftGroupMemberId memberId, RaftPeerId newLeaderId) {
    boolean now = memberId.getPeerId().equals(newLeaderId);
    if (now == leader) {
      return;
    }
    leader = now;
    expiry.leadershipChanged(now);
    for (LeadershipListener l : listeners) {
      notifyListener(l, now);
    }
  }

  private void notifyListener(LeadershipListener l, boolean now) {
    try {
      l.leadershipChanged(now);
    } catch (RuntimeException e) {
      LOG.warn("group={} leadership listener {} failed", group, l, e);
    }
  }

  /** Registers this replica's gauges and counters, tagged with the group name. */
  public void bindMetrics(MeterRegistry registry) {
    Tags tags = Tags.of("group", group);
    applyTimer = Timer.builder("kvpipe.raft.apply").tags(tags)
        .description("applying one committed log entry to this replica's state machine").register(registry);
    Gauge.builder("kvpipe.shard.records", this, sm -> sm.state.store().size()).tags(tags)
        .description("records held, tombstones included").register(registry);
    Gauge.builder("kvpipe.shard.applied.index", this, sm -> sm.state.appliedIndex()).tags(tags).register(registry);
    Gauge.builder("kvpipe.shard.epoch", this, sm -> sm.state.ownership().epoch()).tags(tags).register(registry);
    Gauge.builder("kvpipe.shard.leader", this, sm -> sm.leader ? 1 : 0).tags(tags).register(registry);
    Gauge.builder("kvpipe.shard.outbox.events", this, sm -> sm.size()).tags(tags).register(registry);
    Gauge.builder("kvpipe.shard.outbox.bytes", this, sm -> sm.bytes()).tags(tags).register(registry);
    Gauge.builder("kvpipe.shard.ttl.keys", this, sm -> sm.state.store().withTtl()).tags(tags)
        .description("live keys with a time to live").register(registry);
    FunctionCounter.builder("kvpipe.shard.ttl.expired", expiry, ExpiryCollector::expired).tags(tags)
        .description("keys expired by this replica's proposals while it led").register(registry);
    FunctionCounter.builder("kvpipe.shard.writes.applied", writesApplied, LongAdder::sum).tags(tags)
        .register(registry);
    FunctionCounter.builder("kvpipe.shard.writes.refused", writesRefused, LongAdder::sum).tags(tags)
        .description("writes refused at apply: version mismatch, wrong group, CDC backlog full").register(registry);
  }

  // ---- OutboxView ----

  @Override
  public String group() {
    return group;
  }

  @Override
  public List<ChangeEvent> pendingAfter(long afterIndex, int max) {
    return state.outbox().pendingAfter(afterIndex, max);
  }

  @Override
  public long confirmedIndex() {
    return state.outbox().confirmedIndex();
  }

  @Override
  public int size() {
    return state.outbox().size();
  }

  @Override
  public long bytes() {
    return state.outbox().bytes();
  }

  @Override
  public boolean isLeader() {
    return leader;
  }

  @Override
  public void addLeadershipListener(LeadershipListener listener) {
    listeners.add(listener);
    notifyListener(listener, leader);
  }

  @Override
  public CompletableFuture<Long> confirmPublished(long upToIndex) {
    return submitOwn(confirmClientId, new Command.ConfirmPublished(upToIndex))
        .thenApply(ShardStateMachine::confirmedIndexOf);
  }

  private static Message toRequestMessage(Request r) {
    return Message.valueOf(UnsafeByteOperations.unsafeWrap(WireCodec.encode(r)));
  }

  private static long confirmedIndexOf(RaftClientReply reply) {
    if (!reply.isSuccess()) {
      throw new CompletionException(new KvException(ErrorCode.NO_LEADER,
          "ConfirmPublished not committed: " + reply.getException(), reply.getException()));
    }
    Reply r = WireCodec.decodeReply(reply.getMessage().getContent().asReadOnlyByteBuffer());
    if (r instanceof Reply.Confirmed c) {
      return c.confirmedIndex();
    }
    throw new CompletionException(r instanceof Reply.Failure f ? f.toException()
        : new KvException(ErrorCode.INTERNAL, "unexpected reply " + r));
  }
}
