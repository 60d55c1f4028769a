package io.kvpipe.consumer;

import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;

/**
 * The archive's transactions on writer threads: at most {@code writerThreads} in flight, and those of one partition
 * one after another. Each waits, before it does anything (publishes a dead letter, takes a connection), for the
 * earlier ones of its partitions, and is dropped if one of them did not commit, so a partition's stored offset never
 * passes rows that were not written. Waiting first means a waiting transaction holds no lock: the topic is
 * at-least-once (a new shard leader republishes the unconfirmed tail with the same identities), and a transaction that
 * had inserted those rows and then waited for the earlier one, itself waiting in InnoDB for those rows, would be a
 * cycle InnoDB cannot see.
 *
 * <p>Threads: the loop's thread calls every method; the writer threads run the submitted work.
 */
final class PartitionOrderedWrites implements AutoCloseable {
  /**
   * How a transaction ended: committed ({@code failure} null, not {@code dropped}), failed, or dropped before it did
   * anything because an earlier transaction of its partitions did not commit.
   */
  record Result(ArchiveBatch batch, Exception failure, boolean dropped) {
    static Result committed(ArchiveBatch batch) {
      return new Result(batch, null, false);
    }

    static Result failed(ArchiveBatch batch, Exception failure) {
      return new Result(batch, failure, false);
    }

    static Result dropped(ArchiveBatch batch) {
      return new Result(batch, null, true);
    }

    boolean committedOk() {
      return failure == null && !dropped;
    }
  }

  /** A transaction started and not yet taken back by the loop. */
  record InFlight(List<TopicPartition> partitions, Future<Result> result) {}

  private final int writerThreads;
  private final ExecutorService writers;
  /** Transactions started and not yet taken back, oldest first. */
  private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
  /** Each partition's newest transaction in {@link #inFlight}: the next one of that partition waits for it. */
  private final Map<TopicPartition, Future<Result>> lastWrite = new HashMap<>();

  PartitionOrderedWrites(int writerThreads) {
    this.writerThreads = writerThreads;
    this.writers = Executors.newFixedThreadPool(writerThreads, r -> {
      Thread t = new Thread(r, "archive-writer");
      t.setDaemon(true);
      return t;
    });
  }

  /** Whether a transaction must be taken back before the next one starts (every writer thread has one). */
  boolean full() {
    return inFlight.size() >= writerThreads;
  }

  boolean isEmpty() {
    return inFlight.isEmpty();
  }

  /** Whether the oldest transaction has ended (so {@link #takeOldest} will not wait). */
  boolean oldestDone() {
    return !inFlight.isEmpty() && inFlight.getFirst().result().isDone();
  }

  /**
   * Starts {@code work} (a transaction of {@code partitions}) on a writer thread, after the earlier transactions of
   * those partitions; dropped, with {@code batch}, if one of them did not commit. Not when {@link #full}.
   */
  void submit(List<TopicPartition> partitions, ArchiveBatch batch, Supplier<Result> work) {
    List<Future<Result>> before = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      Future<Result> last = lastWrite.get(tp);
      if (last != null && !before.contains(last)) {
        before.add(last);
      }
    }
    Future<Result> future = writers.submit(() -> {
      try {
        return earlierCommitted(before) ? work.get() : Result.dropped(batch);
      } catch (SQLException interrupted) {
        return Result.failed(batch, interrupted);
      }
    });
    partitions.forEach(tp -> lastWrite.put(tp, future));
    inFlight.add(new InFlight(List.copyOf(partitions), future));
  }

  /** The oldest transaction, once it ended; the caller waits on {@link InFlight#result()}. */
  InFlight takeOldest() {
    InFlight f = inFlight.removeFirst();
    f.partitions().forEach(tp -> lastWrite.remove(tp, f.result()));
    return f;
  }

  /** Waits for every earlier transaction: true if all committed, false if one failed or was itself dropped. */
  private static boolean earlierCommitted(List<Future<Result>> before) throws SQLException {
    for (Future<Result> f : before) {
      try {
        if (!f.get().committedOk()) {
          return false;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SQLException("interrupted while waiting for an earlier transaction of the same partitions", e);
      } catch (ExecutionException e) {
        return false; // the loop fails on that writer's unexpected exception when it takes it back
      }
    }
    return true;
  }

  @Override
  public void close() {
    writers.shutdownNow();
  }
}
