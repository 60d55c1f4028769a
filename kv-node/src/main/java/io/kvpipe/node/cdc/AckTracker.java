package io.kvpipe.node.cdc;

import java.util.ArrayDeque;

/**
 * Tracks events handed to the Kafka producer and yields the highest log index up to which every event is
 * acknowledged (the only index that may be confirmed). Acks arrive on the producer's I/O thread, in order per
 * partition but not across partitions; the frontier advances only over a contiguous acknowledged prefix.
 *
 * <p>Events are registered in chunks: a whole log index, or a run of its events by seq (a snapshot or bulk entry can
 * hold far more events than may be in flight). The frontier is therefore a position: every index up to {@link
 * #ackedUpTo()} whole, plus the events of {@link #ackedOpenIndex()} before seq {@link #ackedOpenSeq()}. Only whole
 * indexes are confirmed through Raft, but a restart after a failure resends from that position, so progress within a
 * large index is never lost while this publisher runs.
 *
 * <p>A {@link #reset} starts a new generation: acks of an abandoned producer's sends are ignored, because the
 * publisher resends those events. Thread-safe (monitor on this).
 */
final class AckTracker {
  /** A chunk of one log index's events (seq {@code fromSeq..endSeq-1}); all must be acked before the frontier passes. */
  static final class Slot {
    final long index;
    final int endSeq;
    final boolean lastOfIndex;
    final int generation;
    private int remaining;
    private long bytes;

    private Slot(long index, int endSeq, boolean lastOfIndex, int generation, int count, long bytes) {
      this.index = index;
      this.endSeq = endSeq;
      this.lastOfIndex = lastOfIndex;
      this.generation = generation;
      this.remaining = count;
      this.bytes = bytes;
    }
  }

  private final ArrayDeque<Slot> unacked = new ArrayDeque<>();
  private long ackedUpTo;
  /** The index of which a prefix (seq below ackedOpenSeq) is acknowledged; 0 if none. */
  private long ackedOpenIndex;
  private int ackedOpenSeq;
  private long highestRegistered;
  /** The index registered in part (the next chunk must start at openSeq); 0 if none. */
  private long openIndex;
  private int openSeq;
  private int generation;
  private long unackedEvents;
  private long unackedBytes;
  private Throwable failure;

  AckTracker(long ackedUpTo) {
    this.ackedUpTo = ackedUpTo;
    this.highestRegistered = ackedUpTo;
  }

  /** Registers a whole log index of {@code count} events (of unknown size). */
  Slot register(long index, int count) {
    return register(index, 0, count, 0, true);
  }

  /**
   * Registers events {@code fromSeq..fromSeq+count-1} of log {@code index} before any of them is sent (so an early ack
   * cannot move the frontier past events not yet sent). Chunks must follow each other: an index's chunks in seq order
   * from 0 (or from where a reset left it), the last one marked, then a higher index.
   *
   * @param bytes the chunk's encoded size, counted in {@link #unackedBytes()} until its events are acked
   */
  synchronized Slot register(long index, int fromSeq, int count, long bytes, boolean lastOfIndex) {
    if (count < 1) {
      throw new IllegalArgumentException("count must be >= 1");
    }
    if (openIndex != 0 ? index != openIndex || fromSeq != openSeq : index <= highestRegistered || fromSeq != 0) {
      throw new IllegalArgumentException("chunk " + index + "/" + fromSeq + " registered out of order (after "
          + (openIndex != 0 ? openIndex + "/" + openSeq : String.valueOf(highestRegistered)) + ")");
    }
    Slot slot = new Slot(index, fromSeq + count, lastOfIndex, generation, count, bytes);
    unacked.addLast(slot);
    if (lastOfIndex) {
      highestRegistered = index;
      openIndex = 0;
      openSeq = 0;
    } else {
      openIndex = index;
      openSeq = fromSeq + count;
    }
    unackedEvents += count;
    unackedBytes += bytes;
    return slot;
  }

  /** One event of {@code slot} was acknowledged; returns false for an ack from an abandoned generation. */
  boolean acked(Slot slot) {
    return acked(slot, 0);
  }

  /** One event of {@code slot}, of {@code bytes} encoded, was acknowledged; false if from an abandoned generation. */
  synchronized boolean acked(Slot slot, long bytes) {
    if (slot.generation != generation) {
      return false;
    }
    if (slot.remaining <= 0) {
      throw new IllegalStateException("more acks than events at index " + slot.index);
    }
    slot.remaining--;
    long freed = slot.remaining == 0 ? slot.bytes : Math.min(bytes, slot.bytes);
    slot.bytes -= freed;
    unackedBytes -= freed;
    unackedEvents--;
    while (!unacked.isEmpty() && unacked.peekFirst().remaining == 0) {
      Slot done = unacked.pollFirst();
      if (done.lastOfIndex) {
        ackedUpTo = done.index;
        ackedOpenIndex = 0;
        ackedOpenSeq = 0;
      } else {
        ackedOpenIndex = done.index;
        ackedOpenSeq = done.endSeq;
      }
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
   * Abandons everything not yet acknowledged (its acks will be ignored) and restarts from the acknowledged position, or
   * from {@code from} if that confirmed index is higher. Returns the last whole index to resend after; registration
   * continues at {@link #registeringIndex()}/{@link #registeringSeq()} (a partly acked index) or after it.
   */
  synchronized long reset(long from) {
    generation++;
    failure = null;
    unacked.clear();
    unackedEvents = 0;
    unackedBytes = 0;
    ackedUpTo = Math.max(ackedUpTo, from);
    if (ackedOpenIndex <= ackedUpTo) {
      ackedOpenIndex = 0;
      ackedOpenSeq = 0;
    }
    highestRegistered = ackedUpTo;
    openIndex = ackedOpenIndex;
    openSeq = ackedOpenSeq;
    return ackedUpTo;
  }

  synchronized long ackedUpTo() {
    return ackedUpTo;
  }

  synchronized long ackedOpenIndex() {
    return ackedOpenIndex;
  }

  synchronized int ackedOpenSeq() {
    return ackedOpenSeq;
  }

  /** The highest index registered whole. */
  synchronized long highestRegistered() {
    return highestRegistered;
  }

  /** The index registered in part, whose next chunk starts at {@link #registeringSeq()}; 0 if none. */
  synchronized long registeringIndex() {
    return openIndex;
  }

  synchronized int registeringSeq() {
    return openSeq;
  }

  synchronized long unackedEvents() {
    return unackedEvents;
  }

  synchronized long unackedBytes() {
    return unackedBytes;
  }
}
