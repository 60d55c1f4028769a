package io.kvpipe.node.raft;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Ratis state machine whose whole state lives in one checksummed snapshot file, named by term and index: written
 * after {@link #takeSnapshot()}, loaded at start and again after the leader installed a snapshot on this lagging
 * replica. Subclasses say only how their state is captured, written and read ({@link #freeze},
 * {@link #loadLatestSnapshot}).
 *
 * <p>The apply thread only captures the state ({@link #freeze}, cheap); a writer thread of its own writes the file,
 * its MD5 and fsync, so applies never stall behind a snapshot. {@link #takeSnapshot()} therefore reports each snapshot
 * at the first call after it was written (answering -1, "none yet", meanwhile), and only then may Ratis purge the log
 * up to it.
 *
 * <p>It carries the lifecycle Ratis expects around an install: the state machine must be RUNNING before Ratis may
 * {@link #pause()} it (PAUSING, PAUSED), and {@link #reinitialize()} must bring it back to RUNNING; otherwise Ratis's
 * apply thread fails a lifecycle assertion and closes the replica.
 *
 * <p>Threads: loading runs during initialize; takeSnapshot and reinitialize on Ratis's apply thread, which is also the
 * only thread that writes the subclass's state; pause on the thread that receives an installed snapshot (Ratis 3.3),
 * while the apply thread still runs; the frozen state is written on the snapshot writer thread.
 */
public abstract class SnapshotLoadingStateMachine extends BaseStateMachine {
  private static final SnapshotRetentionPolicy KEEP_TWO = new SnapshotRetentionPolicy() {
    @Override
    public int getNumSnapshotsRetained() {
      return 2;
    }
  };

  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();

  /** Replaces the state with {@link #latestSnapshot()} (or an empty state, if there is none). */
  protected abstract void loadLatestSnapshot() throws IOException;

  /** The state as applied up to some index, captured on the apply thread, written later on another thread. */
  protected interface Frozen {
    /** Writes the captured state to {@code file}; returns the file's MD5 (sidecar saved). */
    MD5Hash writeTo(File file) throws IOException;

    /** The write has ended, well or not (e.g. stop keeping old values aside for it). */
    default void release() {}
  }

  /** Captures the current state, as applied up to {@code at}. Apply thread only; must be cheap. */
  protected abstract Frozen freeze(TermIndex at);

  private static final Logger LOG = LoggerFactory.getLogger(SnapshotLoadingStateMachine.class);
  private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "snapshot-writer");
    t.setDaemon(true);
    return t;
  });
  /** The snapshot being written (its index once written), or null; set by the apply thread, cleared by pause(). */
  private volatile CompletableFuture<Long> writing;
  /** Held while takeSnapshot decides to start a write and while pause() leaves RUNNING: one or the other first. */
  private final Object pausing = new Object();

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
    super.initialize(server, groupId, raftStorage);
    storage.init(raftStorage);
    getLifeCycle().startAndTransition(this::loadLatestSnapshot);
  }

  @Override
  public SimpleStateMachineStorage getStateMachineStorage() {
    return storage;
  }

  /**
   * Whether storage was read and held no snapshot, and none was written since. Ratis's storage lists the state machine
   * directory on every {@link #getLatestSnapshot()} until it knows of a snapshot, and each log appender asks on every
   * pass of its loop (should it install a snapshot?): in a group younger than its first snapshot that was a directory
   * listing per AppendEntries, ~2.7% of a leader's Java CPU in bench-pipeline's profile. Storage only gains a snapshot
   * through {@link #write} or an install ({@link #pause()} drops the answer before the files arrive,
   * {@link #reinitialize()} reads storage again), so the answer can be kept.
   */
  private volatile boolean noneOnDisk;

  /** The newest snapshot in storage (read from the directory), or null. */
  protected final SingleFileSnapshotInfo latestSnapshot() {
    SingleFileSnapshotInfo latest = storage.loadLatestSnapshot();
    noneOnDisk = latest == null;
    return latest;
  }

  @Override
  public SnapshotInfo getLatestSnapshot() {
    return noneOnDisk ? null : storage.getLatestSnapshot();
  }

  /** Submits a request of this replica's own (not a client's) to its server, as the leader. */
  protected final CompletableFuture<RaftClientReply> submitOwn(ClientId clientId, long callId, Message message) {
    return getServer().thenCompose(server -> {
      RaftClientRequest request = RaftClientRequest.newBuilder()
          .setClientId(clientId)
          .setServerId(server.getId())
          .setGroupId(getGroupId())
          .setCallId(callId)
          .setMessage(message)
          .setType(RaftClientRequest.writeRequestType())
          .build();
      try {
        return server.submitClientRequestAsync(request);
      } catch (IOException e) {
        throw new CompletionException(new KvException(ErrorCode.UNAVAILABLE, "cannot submit: " + e, e));
      }
    });
  }

  /** {@link AppliedCalls#knownFrom} of this group's replicated state, as applied here. Any thread. */
  protected abstract long callsKnownFrom();

  private final ClientId markerClientId = ClientId.randomId();
  private final AtomicLong markerCallIds = new AtomicLong();

  /**
   * Logs the marker entry ({@link AppliedCalls#MARKER}) if this group does not know yet from where its replicas
   * remember the same calls: a new group's first leader (every state begins unknown) and a leader after an upgrade.
   * Ratis calls this once the leader's startup entry is applied, so it accepts entries now and has applied every
   * entry of earlier terms, a marker among them if there is one. Submitted at once, off Ratis's thread (the apply
   * thread here). Repeats do no harm (only the first marker applied counts), nor does a lost one: it is tried again
   * every {@link #MARKER_RETRY_MS} while this replica leads and it is still unknown (too many requests pending, a
   * term change), and the next leader tries too.
   */
  @Override
  public void notifyLeaderReady() {
    logMarkerWhileUnknown(0);
  }

  private void logMarkerWhileUnknown(long delayMs) {
    CompletableFuture.delayedExecutor(delayMs, TimeUnit.MILLISECONDS).execute(() -> {
      if (callsKnownFrom() != AppliedCalls.UNKNOWN || !leadsNow()) {
        return;
      }
      long attempt = markerCallIds.incrementAndGet();
      if (attempt == 1) {
        // Once per replica (a new group's, or the first leader after an upgrade): retries are not logged.
        LOG.info("{}: logging the applied-calls marker (calls are known from its index on)", getGroupId());
      }
      submitOwn(markerClientId, attempt, Message.valueOf(AppliedCalls.MARKER))
          .whenComplete((reply, error) -> {
            if (error != null || !reply.isSuccess()) {
              logMarkerWhileUnknown(MARKER_RETRY_MS);
            }
          });
    });
  }

  private static final long MARKER_RETRY_MS = 100;

  private boolean leadsNow() {
    try {
      RaftServer server = getServer().getNow(null);
      return server != null && server.getDivision(getGroupId()).getInfo().isLeader();
    } catch (IOException | RuntimeException closed) {
      return false;
    }
  }

  /** Why Ratis stopped this replica for good, as this state machine saw it; null while nothing did. */
  private volatile String fatalCause;

  /**
   * Records that {@code cause} escapes to Ratis, which then closes this replica for good (for applyTransaction
   * anything but a KvException, for takeSnapshot anything but an IOException): the node reports the replica stopped,
   * and this is the only place that still knows why.
   */
  protected final void recordFatal(String what, Throwable cause) {
    fatalCause = what + " threw " + cause;
    LOG.error("{}: {} threw; Ratis stops this replica for good, the node no longer serves the group here until"
        + " it restarts", getGroupId(), what, cause);
  }

  /** Why Ratis stopped this replica for good, if this state machine saw it happen; else null. */
  public final String fatalCause() {
    return fatalCause;
  }

  @Override
  public final long takeSnapshot() throws IOException {
    try {
      return takeOrFinishSnapshot();
    } catch (RuntimeException | Error e) {
      recordFatal("taking a snapshot", e);
      throw e;
    }
  }

  private long takeOrFinishSnapshot() throws IOException {
    synchronized (pausing) {
      if (getLifeCycleState() != LifeCycle.State.RUNNING) {
        // Paused for an install (pause() runs on the install's thread while this one still applies): a snapshot of
        // this state would be written after the installed one and reported next, an index below it.
        return -1;
      }
      return takeOrFinishSnapshotRunning();
    }
  }

  private long takeOrFinishSnapshotRunning() throws IOException {
    CompletableFuture<Long> w = writing;
    if (w != null) {
      if (!w.isDone()) {
        return -1; // still writing: nothing new yet, and the log stays until it is done
      }
      writing = null;
      try {
        return w.join(); // written: Ratis may purge the log up to it
      } catch (CompletionException e) {
        throw new IOException("writing a snapshot failed: " + e.getCause(), e.getCause());
      }
    }
    TermIndex last = getLastAppliedTermIndex();
    if (last == null || last.getIndex() < 0) {
      return -1;
    }
    Frozen frozen = freeze(last);
    File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
    if (!writesInBackground()) {
      return write(frozen, file, last);
    }
    writing = CompletableFuture.supplyAsync(() -> {
      long index = write(frozen, file, last);
      purgeLogUpTo(index);
      return index;
    }, writer);
    return -1;
  }

  /**
   * Whether snapshots are written on the writer thread (large states) rather than on the apply thread (small ones:
   * there, Ratis's snapshot API, which expects the snapshot taken when takeSnapshot returns, keeps working).
   */
  protected boolean writesInBackground() {
    return false;
  }

  /**
   * Ratis purges the log only when takeSnapshot reports a snapshot, and calls it only as entries are applied: a
   * group that goes quiet while its snapshot is written would keep its log until the next write. The log's purge
   * may be asked from any thread (the log worker runs it).
   */
  private void purgeLogUpTo(long index) {
    try {
      getServer().join().getDivision(getGroupId()).getRaftLog().purge(index);
    } catch (IOException | RuntimeException e) {
      LOG.warn("group {}: purging the log up to snapshot {} failed (the next snapshot retries): {}", getGroupId(),
          index, e.toString());
    }
  }

  private long write(Frozen frozen, File file, TermIndex at) {
    long start = System.nanoTime();
    try {
      MD5Hash md5 = frozen.writeTo(file);
      storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), at));
      noneOnDisk = false;
      storage.cleanupOldSnapshots(KEEP_TWO);
      LOG.info("group {}: wrote snapshot {} in {} ms", getGroupId(), file.getName(),
          (System.nanoTime() - start) / 1_000_000);
      return at.getIndex();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      frozen.release();
    }
  }

  /** Lets a snapshot being written finish (an install or a close must not race with it). */
  private void awaitWriter() {
    CompletableFuture<Long> w = writing;
    if (w != null) {
      try {
        w.join();
      } catch (CompletionException e) {
        LOG.warn("group {}: the snapshot being written failed: {}", getGroupId(), e.getCause().toString());
      }
    }
  }

  @Override
  public void close() throws IOException {
    awaitWriter();
    writer.shutdown();
    super.close();
  }

  /** Ratis pauses the state machine before installing a snapshot from the leader, then calls reinitialize. */
  @Override
  public void pause() {
    // An installed snapshot is about to replace the directory's content; a late write must not register after it.
    // Ratis calls this on the install's thread while the apply thread still runs: once PAUSING, takeSnapshot starts
    // no write, and the one it may have started before is waited for here.
    synchronized (pausing) {
      getLifeCycle().transition(LifeCycle.State.PAUSING);
    }
    awaitWriter();
    writing = null;
    // The installed files land in the directory next, before reinitialize() reads them: until then, Ratis's storage
    // looks for itself (a vote or the log's start may ask meanwhile).
    noneOnDisk = false;
    getLifeCycle().transition(LifeCycle.State.PAUSED);
  }

  @Override
  public void reinitialize() throws IOException {
    // The installed snapshot has replaced the state machine directory's content (read again: latestSnapshot()).
    loadLatestSnapshot();
    if (getLifeCycleState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }
}
