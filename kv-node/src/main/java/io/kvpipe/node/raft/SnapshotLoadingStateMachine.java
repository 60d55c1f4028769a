package io.kvpipe.node.raft;

import java.io.File;
import java.io.IOException;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.LifeCycle;

/**
 * A Ratis state machine whose whole state lives in one checksummed snapshot file, named by term and index: written by
 * {@link #takeSnapshot()}, loaded at start and again after the leader installed a snapshot on this lagging replica.
 * Subclasses say only how their state is written and read ({@link #writeSnapshot}, {@link #loadLatestSnapshot}).
 *
 * <p>It carries the lifecycle Ratis expects around an install: the state machine must be RUNNING before Ratis may
 * {@link #pause()} it (PAUSING, PAUSED), and {@link #reinitialize()} must bring it back to RUNNING; otherwise Ratis's
 * apply thread fails a lifecycle assertion and closes the replica.
 *
 * <p>Threads: loading runs during initialize; snapshots, pause and reinitialize on Ratis's apply thread, which is also
 * the only thread that writes the subclass's state.
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

  /** Writes the current state, as applied up to {@code at}, to {@code file}; returns the file's MD5 (sidecar saved). */
  protected abstract MD5Hash writeSnapshot(File file, TermIndex at) throws IOException;

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

  /** The newest snapshot in storage, or null. */
  protected final SingleFileSnapshotInfo latestSnapshot() {
    return storage.loadLatestSnapshot();
  }

  @Override
  public final long takeSnapshot() throws IOException {
    TermIndex last = getLastAppliedTermIndex();
    if (last == null || last.getIndex() < 0) {
      return -1;
    }
    File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
    MD5Hash md5 = writeSnapshot(file, last);
    storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), last));
    storage.cleanupOldSnapshots(KEEP_TWO);
    return last.getIndex();
  }

  /** Ratis pauses the state machine before installing a snapshot from the leader, then calls reinitialize. */
  @Override
  public void pause() {
    getLifeCycle().transition(LifeCycle.State.PAUSING);
    getLifeCycle().transition(LifeCycle.State.PAUSED);
  }

  @Override
  public void reinitialize() throws IOException {
    // The installed snapshot has replaced the state machine directory's content.
    loadLatestSnapshot();
    if (getLifeCycleState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }
}
