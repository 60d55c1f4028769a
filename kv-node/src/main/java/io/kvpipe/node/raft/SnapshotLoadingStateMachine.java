package io.kvpipe.node.raft;

import java.io.IOException;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.util.LifeCycle;

/**
 * A Ratis state machine whose whole state is loaded from its latest snapshot: at start, and again after the leader
 * installed a snapshot on this lagging replica. It carries the lifecycle Ratis expects around an install: the state
 * machine must be RUNNING before Ratis may {@link #pause()} it (PAUSING, PAUSED), and {@link #reinitialize()} must
 * bring it back to RUNNING; otherwise Ratis's apply thread fails a lifecycle assertion and closes the replica.
 *
 * <p>Threads: {@link #startFromLatestSnapshot()} runs during initialize; pause and reinitialize on Ratis's apply
 * thread, which is also the only thread that writes the subclass's state.
 */
public abstract class SnapshotLoadingStateMachine extends BaseStateMachine {

  /** Replaces the state with the latest snapshot in storage (or an empty state, if the subclass keeps none). */
  protected abstract void loadLatestSnapshot() throws IOException;

  /** Loads the latest snapshot and moves the lifecycle to RUNNING; call from initialize, after storage is set up. */
  protected final void startFromLatestSnapshot() throws IOException {
    getLifeCycle().startAndTransition(this::loadLatestSnapshot);
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
