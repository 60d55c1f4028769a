package io.kvpipe.proxy.watch;

import java.util.ArrayDeque;

/**
 * One watch stream's queue between the readers (the shared live feed, and while it resumes its own catch-up reader)
 * and the thread that writes its response. Bounded: a live frame that would take the queue past {@code maxEvents}
 * frames or {@code maxBytes} bytes cuts the watcher off (the queue is dropped at once, the client gets an
 * {@code error} event and resumes from the last id it received). While the watcher catches up, live frames wait in a
 * held list behind the catch-up's frames, within the same bounds; the catch-up reader itself waits for room instead
 * of cutting off (it reads at the writer's pace). Thread-safe (its monitor).
 */
final class Watcher {
  /** What {@link #take} returns once the watcher is closed. */
  static final WatchFrames.Frame END = new WatchFrames.Frame(new byte[0], false);

  final WatchRequest request;
  private final int maxEvents;
  private final long maxBytes;
  private final ArrayDeque<WatchFrames.Frame> queue = new ArrayDeque<>();
  private final ArrayDeque<WatchFrames.Frame> held = new ArrayDeque<>();
  private long bytes;
  private boolean holding;
  private boolean closed;
  private String closeCode;
  private String closeMessage;
  /**
   * Where this watcher's stream started, when that is past the live feed's position on some partition (it resumed
   * from a token another proxy's feed gave); null once the feed is past it everywhere. Guarded by the fan-out's lock.
   */
  long[] floor;

  Watcher(WatchRequest request, int maxEvents, long maxBytes) {
    this.request = request;
    this.maxEvents = maxEvents;
    this.maxBytes = maxBytes;
  }

  synchronized void holdLiveFrames() {
    holding = true;
  }

  synchronized boolean isHolding() {
    return holding;
  }

  /** A frame from the live feed; false if the watcher is (now) closed, e.g. cut off because it does not keep up. */
  synchronized boolean offerLive(WatchFrames.Frame f) {
    if (closed) {
      return false;
    }
    (holding ? held : queue).addLast(f);
    bytes += f.bytes().length;
    int count = queue.size() + held.size();
    if (count > maxEvents || bytes > maxBytes && count > 1) {
      close("WATCHER_TOO_SLOW", (holding ? "resuming took too long: " : "")  + count + " events (" + bytes
          + " bytes) were waiting for this client (limits --watch-queue-events " + maxEvents + ", --watch-queue-bytes "
          + maxBytes + "); reconnect with the last id received");
      return false;
    }
    notifyAll();
    return true;
  }

  /** A progress frame for an idle stream: queued only when nothing else waits (it only saves a reconnect work). */
  synchronized void offerProgress(WatchFrames.Frame f) {
    if (!closed && !holding && queue.isEmpty()) {
      queue.addLast(f);
      bytes += f.bytes().length;
      notifyAll();
    }
  }

  /** A frame of the catch-up reader, ahead of every held one; waits while half the bounds are in use. */
  synchronized boolean offerCatchUp(WatchFrames.Frame f) throws InterruptedException {
    while (!closed && !queue.isEmpty() && (queue.size() + held.size() >= maxEvents / 2 + 1
        || bytes >= maxBytes / 2)) {
      wait();
    }
    if (closed) {
      return false;
    }
    queue.addLast(f);
    bytes += f.bytes().length;
    notifyAll();
    return true;
  }

  /** The catch-up reached where the live feed took over: the held frames follow. */
  synchronized void goLive() {
    queue.addAll(held);
    held.clear();
    holding = false;
    notifyAll();
  }

  /** The next frame, null if none came within {@code timeoutMs}, {@link #END} once closed. */
  synchronized WatchFrames.Frame take(long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    while (queue.isEmpty() && !closed) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        return null;
      }
      wait(left);
    }
    if (closed) {
      return END;
    }
    WatchFrames.Frame f = queue.removeFirst();
    bytes -= f.bytes().length;
    notifyAll();
    return f;
  }

  /**
   * Closes the stream; {@code code} non-null: the client gets an error event with it. Queued frames are dropped (the
   * client resumes from its last id). The first close wins.
   */
  synchronized void close(String code, String message) {
    if (closed) {
      return;
    }
    closed = true;
    closeCode = code;
    closeMessage = message;
    queue.clear();
    held.clear();
    bytes = 0;
    notifyAll();
  }

  synchronized boolean isClosed() {
    return closed;
  }

  synchronized String closeCode() {
    return closeCode;
  }

  synchronized String closeMessage() {
    return closeMessage;
  }

  synchronized int queued() {
    return queue.size() + held.size();
  }
}
