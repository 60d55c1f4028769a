package io.kvpipe.proxy.watch;

import io.kvpipe.common.event.ChangeEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Hands each change the live feed reads to every watcher whose prefix or key it matches, and keeps the feed's
 * position: per partition, the offset of the first record not yet dispatched. Registration and dispatch share one
 * lock, so a watcher registered at position H receives exactly the records at or past H (those before H it gets from
 * its catch-up reader, or, starting now, never). A change's frame, with the position after it as its id, is built
 * once and shared by every watcher it goes to: all of them have considered every record before that position.
 */
final class Fanout {
  private final Object lock = new Object();
  private final List<Watcher> watchers = new ArrayList<>();
  private final Consumer<Watcher> onCutOff;
  private long[] position;
  private String progressToken;

  /** @param onCutOff called (under the lock: it must not block) for a watcher the server closed with a reason */
  Fanout(Consumer<Watcher> onCutOff) {
    this.onCutOff = onCutOff;
  }

  /** The feed is positioned: it dispatches from {@code start} on. */
  void start(long[] start) {
    synchronized (lock) {
      position = start.clone();
    }
  }

  boolean ready() {
    synchronized (lock) {
      return position != null;
    }
  }

  int partitions() {
    synchronized (lock) {
      return position == null ? 0 : position.length;
    }
  }

  long[] position() {
    synchronized (lock) {
      if (position == null) {
        throw new IllegalStateException("the change feed is not reading the topic");
      }
      return position.clone();
    }
  }

  /**
   * Registers {@code w}, first queueing its {@code ready} frame. From now on (no {@code from}), or resuming at
   * {@code from}: live records at or past {@code max(from, position)} go to it. Returns the live position at
   * registration (a resuming watcher's catch-up reads {@code [from, that)}).
   */
  long[] register(Watcher w, long[] from) {
    synchronized (lock) {
      if (position == null) {
        throw new io.kvpipe.common.error.KvException(io.kvpipe.common.error.ErrorCode.UNAVAILABLE,
            "this proxy's change feed is not reading the topic");
      }
      long[] at = position.clone();
      long[] start = at.clone();
      if (from != null) {
        boolean ahead = false;
        for (int p = 0; p < start.length; p++) {
          ahead |= from[p] > start[p];
          start[p] = Math.max(start[p], from[p]);
        }
        w.floor = ahead ? start : null;
      }
      w.offerLive(WatchFrames.ready(WatchPosition.encode(from != null ? from : at)));
      if (from != null) {
        w.holdLiveFrames(); // behind the ready frame, ahead of nothing: the catch-up's frames go first
      }
      watchers.add(w);
      return at;
    }
  }

  void unregister(Watcher w) {
    synchronized (lock) {
      watchers.remove(w);
    }
  }

  int size() {
    synchronized (lock) {
      return watchers.size();
    }
  }

  /** One record the feed read, in offset order per partition; {@code change} null: nothing a watcher sees. */
  record Read(int partition, long offset, ChangeEvent change) {}

  /** Dispatches a batch of reads, then moves the position to {@code after} (past control records and the like). */
  void dispatch(List<Read> reads, long[] after) {
    synchronized (lock) {
      if (position == null) {
        return; // closed
      }
      List<Watcher> cut = null;
      for (Read r : reads) {
        position[r.partition()] = r.offset() + 1;
        if (r.change() == null) {
          continue;
        }
        WatchFrames.Frame shared = null;
        for (Watcher w : watchers) {
          long[] floor = w.floor;
          if (floor != null && r.offset() < floor[r.partition()] || !w.request.matches(r.change().key())) {
            continue;
          }
          WatchFrames.Frame f;
          if (floor == null) {
            f = shared != null ? shared : (shared = WatchFrames.change(r.change(), WatchPosition.encode(position)));
          } else {
            f = WatchFrames.change(r.change(), WatchPosition.encode(atLeast(position, floor)));
          }
          if (!w.offerLive(f)) {
            cut = cut == null ? new ArrayList<>() : cut;
            cut.add(w);
          }
        }
      }
      for (int p = 0; p < position.length; p++) {
        position[p] = Math.max(position[p], after[p]);
      }
      for (Watcher w : watchers) {
        if (w.floor != null && WatchPosition.of(position).covers(w.floor)) {
          w.floor = null;
        }
      }
      if (cut != null) {
        watchers.removeAll(cut);
        // Closed without a reason: the client left (its writer closed it); only a cut-off is reported.
        cut.stream().filter(w -> w.closeCode() != null).forEach(onCutOff);
      }
    }
  }

  /** Gives idle live watchers a progress frame if the position moved since the last one (the heartbeat). */
  void progress() {
    synchronized (lock) {
      if (position == null) {
        return;
      }
      String token = WatchPosition.encode(position);
      if (token.equals(progressToken)) {
        return;
      }
      progressToken = token;
      WatchFrames.Frame shared = WatchFrames.progress(token);
      for (Watcher w : watchers) {
        w.offerProgress(w.floor == null ? shared : WatchFrames.progress(WatchPosition.encode(atLeast(position,
            w.floor))));
      }
    }
  }

  private static long[] atLeast(long[] a, long[] floor) {
    long[] out = a.clone();
    for (int p = 0; p < out.length; p++) {
      out[p] = Math.max(out[p], floor[p]);
    }
    return out;
  }

  /**
   * Closes every watcher (proxy shutdown, or the feed stopped): each client gets an error event and reconnects
   * elsewhere; from now on {@link #ready()} is false, so new watchers are refused (503) instead of waiting forever.
   */
  void closeAll(String code, String message) {
    synchronized (lock) {
      watchers.forEach(w -> w.close(code, message));
      watchers.clear();
      position = null;
    }
  }
}
