package io.kvpipe.systemtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Cluster changes as operations running beside the faults (not faults themselves): add a group g3 on n1..n3 or drain
 * it if it is there, and/or add the spare n4 to g1 as a replica or remove it if it is one (in turn), each
 * through one of the proxies (alternating) and followed until done. An operation that fails or does not finish in time
 * is recorded in the {@link Timeline} as failed and the next one goes on.
 */
final class ClusterOps implements AutoCloseable {
  static final Duration OP_TIMEOUT = Duration.ofMinutes(4);

  /** Which operations: groups (add/drain g3), replicas (add/remove n4 in g1), or both in turn. */
  enum Mode { GROUPS, REPLICAS, BOTH }

  private final SystemStack stack;
  private final Timeline timeline;
  private final Mode mode;
  private final AtomicBoolean running = new AtomicBoolean();
  private final List<String> failures = new ArrayList<>();
  private Thread thread;
  private int done;

  ClusterOps(SystemStack stack, Timeline timeline, Mode mode) {
    this.stack = stack;
    this.timeline = timeline;
    this.mode = mode;
  }

  ClusterOps start() {
    running.set(true);
    thread = Thread.ofPlatform().name("cluster-ops").start(this::run);
    return this;
  }

  synchronized List<String> failures() {
    return List.copyOf(failures);
  }

  synchronized int done() {
    return done;
  }

  private void run() {
    int n = 0;
    while (running.get()) {
      String proxy = (mode == Mode.BOTH ? n / 2 : n) % 2 == 0 ? "a" : "b";
      boolean groupTurn = mode == Mode.BOTH ? n % 2 == 0 : mode == Mode.GROUPS;
      n++;
      long start = timeline.now();
      String what = groupTurn ? "group g3" : "replica n4 of g1";
      try {
        AdminApi admin = new AdminApi(stack.proxy(proxy).admin());
        SystemStack.Shards shards = stack.shards(admin);
        MigrationView started;
        if (groupTurn) {
          boolean present = shards.peers().containsKey("g3");
          what = (present ? "drain g3" : "add g3") + " via " + proxy;
          started = present ? admin.removeGroup("g3") : admin.addGroup("g3", stack.corePeers(), 0, 200);
        } else {
          boolean member = shards.peers().getOrDefault("g1", List.of()).stream().anyMatch(p -> p.startsWith("n4@"));
          what = (member ? "remove n4 from g1" : "add n4 to g1") + " via " + proxy;
          started = member ? admin.removePeer("g1", "n4") : admin.addPeer("g1", stack.spareAddress("n4"));
        }
        MigrationView end = admin.awaitDone(started.id(), OP_TIMEOUT, v -> { });
        boolean ok = end.phase().equals("done");
        synchronized (this) {
          done += ok ? 1 : 0;
          if (!ok) {
            failures.add(what + ": " + end);
          }
        }
        timeline.add(new Timeline.Event("migration", what, start, timeline.now(), ok, ok ? null : end.phase()));
      } catch (RuntimeException | AssertionError e) {
        // A refused start (a paused proxy, the meta group between leaders) or a migration that failed: recorded.
        synchronized (this) {
          failures.add(what + ": " + e);
        }
        timeline.add(new Timeline.Event("migration", what, start, timeline.now(), false, e.toString()));
        pause(2_000);
      }
    }
  }

  private void pause(long millis) {
    long end = System.currentTimeMillis() + millis;
    while (running.get() && System.currentTimeMillis() < end) {
      try {
        Thread.sleep(100); // spacing retries after a refused start
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Starts no new operation; waits for the one in progress to finish (up to its timeout). */
  @Override
  public void close() throws InterruptedException {
    running.set(false);
    if (thread != null) {
      thread.join(OP_TIMEOUT.plusMinutes(1).toMillis());
    }
  }
}
