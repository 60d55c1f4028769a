package io.kvpipe.node.cdc;

import java.util.ArrayDeque;

/**
 * Tracks events handed to the Kafka producer and yields the highest log index up to which every event is
 * acknowledged (the only index that may be confirmed). Acks arrive on the producer's I/O thread, in order per
 * partition but not across partitions; the frontier advances only over a contiguous acknowledged prefix.
 *
 * <p>A {@link #reset} starts a new generation: acks of an abandoned producer's sends are ignored, because the
 * publisher resends those events. Thread-safe (monitor on this).
 */
final class AckTracker {
  /** One log index's events; all of them must be acked before the frontier passes it. */
  static final class Slot {
    final long index;
    final int generation;
    private int remaining;

    private Slot(long index, int generation, int count) {
      this.index = index;
      this.generation = generation;
      this.remaining = count;
    }
  }

  private final ArrayDeque<Slot> unacked = new ArrayDeque<>();
  private long ackedUpTo;
  private long highestRegistered;
  private int generation;
  private long unackedEvents;
  private Throwable failure;

  AckTracker(long ackedUpTo) {
    this.ackedUpTo = ackedUpTo;
    this.highestRegistered = ackedUpTo;
  }

  /**
   * Registers all {@code count} events of log {@code index} before any of them is sent (so an early ack cannot move
   * the frontier past events not yet sent). Indexes must be registered in increasing order.
   */
  synchronized Slot register(long index, int count) {
    if (index <= highestRegistered) {
      throw new IllegalArgumentException("index " + index + " registered out of order (after " + highestRegistered
          + ")");
    }
    if (count < 1) {
      throw new IllegalArgumentException("count must be >= 1");
    }
    Slot slot = new Slot(index, generation, count);
    unacked.addLast(slot);
    highestRegistered = index;
    unackedEvents += count;
    return slot;
  }

  /** One event of {@code slot} was acknowledged; returns false for an ack from an abandoned generation. */
  synchronized boolean acked(Slot slot) {
    if (slot.generation != generation) {
      return false;
    }
    if (slot.remaining <= 0) {
      throw new IllegalStateException("more acks than events at index " + slot.index);
    }
    slot.remaining--;
    unackedEvents--;
    while (!unacked.isEmpty() && unacked.peekFirst().remaining == 0) {
      ackedUpTo = unacked.pollFirst().index;
    }
    return true;
  }

  /** A send of {@code slot} failed; remembered (first one wins) unless from an abandoned generation. */
  synchronized boolean failed(Slot slot, Throwable cause) {
    if (slot.generation != generation) {
      return false;
    }
    if (failure == null) {
      failure = cause;
    }
    return true;
  }

  synchronized boolean hasFailure() {
    return failure != null;
  }

  /** The first send failure of the current generation, or null; clears it. */
  synchronized Throwable takeFailure() {
    Throwable f = failure;
    failure = null;
    return f;
  }

  /**
   * Abandons everything not yet acknowledged (its acks will be ignored) and restarts from {@code from}, which is the
   * current frontier or a higher confirmed index. Returns the index to resend after.
   */
  synchronized long reset(long from) {
    generation++;
    failure = null;
    unacked.clear();
    unackedEvents = 0;
    ackedUpTo = Math.max(ackedUpTo, from);
    highestRegistered = ackedUpTo;
    return ackedUpTo;
  }

  synchronized long ackedUpTo() {
    return ackedUpTo;
  }

  /** The highest index handed out (the position to continue reading the outbox after). */
  synchronized long highestRegistered() {
    return highestRegistered;
  }

  synchronized long unackedEvents() {
    return unackedEvents;
  }
}
