package io.kvpipe.consumer;

import io.kvpipe.consumer.PartitionOrderedWrites.Result;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.InvalidOffsetException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer's task: poll a batch, split it into events and dead letters, publish the dead letters, write the batch
 * in one MySQL transaction (rows + offsets), then commit the offsets to Kafka too, at most once a second (for lag
 * tools; MySQL is the truth).
 *
 * <p>Where to read from is always what MySQL says: on assignment, and after any failed batch, the affected partitions
 * are paused and re-seeked to their stored offsets before anything more is read, retrying with backoff while MySQL is
 * down. So nothing is skipped and a replay only re-writes rows that are idempotent anyway. Kafka never moves a
 * position by itself ({@code auto.offset.reset=none}): a stored offset Kafka no longer holds stops its partition
 * ({@link StartPosition}, {@link StoppedPartitions}) until an operator names where to resume.
 *
 * <p>Pipelined: a poll's transactions run on the writer threads (up to {@code writerThreads} at once) while the loop
 * polls and decodes the next polls. Transactions of the same partition run one after another: each waits, before it
 * publishes or writes anything, for the earlier ones of its partitions to commit, and is dropped if one failed, so a
 * stored offset never passes rows that were not written. A waiting transaction holds no lock, so it can never block
 * the one it waits for (the topic is at-least-once: a republished tail puts the same changelog identities in two
 * consecutive polls). A rebalance, a seek to stored offsets and the loop's end first wait for every transaction in
 * flight.
 *
 * <p>Threads: {@link #run()} owns the Kafka consumer and every field below; writer threads only publish dead letters
 * and write their share of a poll; {@link #stop()} may be called from any thread (it only sets a flag and wakes the
 * consumer).
 */
public final class ArchiveLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(ArchiveLoop.class);
  private static final Duration OFFSETS_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STOPPED_RECHECK = Duration.ofSeconds(30);
  /**
   * A smaller poll is written as one transaction, not one per writer: each transaction is a durable commit (an fsync
   * and a round of the database's commit path), and splitting a small poll only multiplies them. Measured in
   * bench-pipeline at 2,000 writes/s: polls of ~15 events split in two made 300 commits/s, MariaDB at 27% of a core.
   * Large polls (a backlog, bench-archive's) still overlap on the writers.
   */
  static final int SPLIT_MIN_RECORDS = 1000;

  private final Consumer<byte[], byte[]> consumer;
  private final String topic;
  private final Duration pollTimeout;
  private final EventDecoder decoder;
  private final ArchiveWriter writer;
  private final OffsetStore offsets;
  private final DeadLetterPublisher deadLetters;
  private final ArchiveMetrics metrics;
  private final Backoff backoff;
  private final int writerThreads;
  /** The polls' transactions, on the writer threads. */
  private final PartitionOrderedWrites writes;
  /** Archived offsets on their way to Kafka's committed offsets, for lag tools. */
  private final KafkaOffsetCommits kafkaCommits;
  /** Operator's explicit resume offsets by partition of {@link #topic} ({@code --reset-offsets}). */
  private final Map<Integer, Long> resets;
  private final StoppedPartitions stopped;
  /** Partitions whose batches keep failing, for readiness. */
  private final WriteFailures writeFailures = new WriteFailures();
  /** Assigned partitions whose position must first be set from MySQL; they stay paused until then. */
  private final Set<TopicPartition> needSeek = new HashSet<>();
  /** When stopped partitions are looked at again (an operator may have fixed their stored offset by hand). */
  private long recheckStoppedNanos;
  private volatile boolean stopping;
  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final CountDownLatch finished = new CountDownLatch(1);

  ArchiveLoop(Consumer<byte[], byte[]> consumer, String topic, Duration pollTimeout, EventDecoder decoder,
              ArchiveWriter writer, OffsetStore offsets, DeadLetterPublisher deadLetters, ArchiveMetrics metrics,
              Backoff backoff, int writerThreads, Map<Integer, Long> resets, StoppedPartitions stopped,
              Duration kafkaCommitInterval) {
    this.consumer = consumer;
    this.topic = topic;
    this.pollTimeout = pollTimeout;
    this.decoder = decoder;
    this.writer = writer;
    this.offsets = offsets;
    this.deadLetters = deadLetters;
    this.metrics = metrics;
    this.backoff = backoff;
    this.writerThreads = writerThreads;
    this.resets = Map.copyOf(resets);
    this.stopped = stopped;
    this.writes = new PartitionOrderedWrites(writerThreads);
    this.kafkaCommits = new KafkaOffsetCommits(consumer, kafkaCommitInterval, System::nanoTime);
  }

  @Override
  public void run() {
    try {
      consumer.subscribe(List.of(topic), new SeekToStoredOffsets());
      while (!stopping) {
        recheckStopped();
        if (!needSeek.isEmpty()) {
          awaitInFlight(); // a rewound partition's doomed successors end first, so none outlives the seek
          if (!seekToStored()) {
            pause(backoff.next());
          }
        }
        ConsumerRecords<byte[], byte[]> records;
        try {
          records = consumer.poll(pollTimeout);
        } catch (InvalidOffsetException e) {
          // auto.offset.reset is none: Kafka refuses to move a position by itself (retention passed it while this
          // consumer lagged or was paused). Decide from MySQL's offsets like on assignment; that stops the partition.
          log.warn("Kafka has no valid position for {}: {}", e.partitions(), e.getMessage());
          rewind(e.partitions());
          continue;
        }
        finishDone();
        kafkaCommits.maybeCommit();
        if (!records.isEmpty() && !stopping) {
          // Decoded while earlier polls' transactions still run on the writers: the JVM's work on this poll overlaps
          // the database's on those instead of taking turns with it.
          submit(records, decode(records));
        }
      }
    } catch (WakeupException e) {
      if (!stopping) {
        throw e;
      }
    } finally {
      try {
        awaitInFlight(); // the transactions in flight commit or roll back before the loop ends
        kafkaCommits.flushAll();
      } finally {
        writes.close();
        finished.countDown();
      }
    }
  }

  /** A poll's records of some partitions, decoded, to be written as one transaction. */
  private record Share(List<TopicPartition> partitions, ArchiveBatch batch, long decodeNanos) {}

  /** The poll's partitions dealt into shares, each decoded (on the loop's thread). */
  private List<Share> decode(ConsumerRecords<byte[], byte[]> records) {
    List<Share> out = new ArrayList<>();
    for (List<TopicPartition> partitions : share(records.partitions(), records.count())) {
      long start = System.nanoTime();
      out.add(new Share(partitions, decoder.decode(records, partitions), System.nanoTime() - start));
    }
    return out;
  }

  /**
   * Starts each share's transaction once a writer is free, after the transactions still in flight for its partitions
   * ({@link PartitionOrderedWrites}). Partitions rewound meanwhile (a failed transaction, a revocation) are left out:
   * their records are read again.
   */
  private void submit(ConsumerRecords<byte[], byte[]> records, List<Share> shares) {
    for (Share share : shares) {
      while (writes.full()) {
        finish(writes.takeOldest());
      }
      Set<TopicPartition> assigned = consumer.assignment();
      Share s = share;
      if (!Collections.disjoint(s.partitions(), needSeek) || !assigned.containsAll(s.partitions())) {
        List<TopicPartition> keep = new ArrayList<>(s.partitions());
        keep.removeIf(tp -> needSeek.contains(tp) || !assigned.contains(tp));
        if (keep.isEmpty()) {
          continue;
        }
        s = new Share(keep, decoder.decode(records, keep), s.decodeNanos()); // rare: decoded again
      }
      Share submitted = s;
      writes.submit(submitted.partitions(), submitted.batch(), () -> writeShare(submitted));
    }
  }

  /** Accounts for the transactions at the head of the queue that have ended, without waiting. */
  private void finishDone() {
    while (writes.oldestDone()) {
      finish(writes.takeOldest());
    }
  }

  /** Waits for every transaction in flight and accounts for each (Kafka commit, or rewind of its partitions). */
  private void awaitInFlight() {
    while (!writes.isEmpty()) {
      finish(writes.takeOldest());
    }
  }

  private void finish(PartitionOrderedWrites.InFlight f) {
    Result result;
    try {
      result = f.result().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopping = true;
      // The transaction may still commit: rewinding to MySQL's offsets is right either way.
      result = Result.failed(null, new KafkaException("interrupted while archiving", e));
    } catch (ExecutionException e) {
      throw new IllegalStateException("archive writer failed unexpectedly", e.getCause());
    }
    finish(f.partitions(), result);
  }

  /**
   * Runs on a writer thread, once the earlier transactions of its partitions committed: touches only the thread-safe
   * writers.
   */
  private Result writeShare(Share share) {
    ArchiveBatch batch = share.batch();
    try {
      long start = System.nanoTime();
      List<DeadLetter> letters = deadLetters.publish(batch.deadLetters());
      if (letters != batch.deadLetters()) {
        batch = new ArchiveBatch(batch.events(), letters, batch.nextOffsets(), batch.tombstones()); // some marked: stub or not published
      }
      writer.write(batch);
      // Counted as it commits, not when the loop next gets to it (after its next poll, up to the poll timeout).
      metrics.batchDone(batch.events().size(), batch.deadLetters().size(), batch.tombstones(),
          share.decodeNanos() + System.nanoTime() - start);
      return Result.committed(batch);
    } catch (SQLException | KafkaException e) {
      return Result.failed(batch, e);
    }
  }

  /** Back on the loop's thread: account for one share, commit its offsets to Kafka, or rewind it. */
  private void finish(List<TopicPartition> share, Result r) {
    ArchiveBatch batch = r.batch();
    if (r.dropped()) {
      // It never ran: the failure that dropped it was counted, backed off and rewound once, on the earlier transaction.
      // Counting it again would turn one transient error into W failures, W backoffs and, for W >= 3, not ready.
      log.debug("batch of {} records dropped after an earlier one of its partitions failed; read again", batch.size());
      rewind(share);
      return;
    }
    if (r.failure() != null) {
      metrics.batchFailed();
      writeFailures.failed(share, r.failure().toString());
      log.warn("batch of {} records not archived, will retry from the stored offsets: {}",
          batch == null ? "?" : batch.size(), r.failure().toString());
      rewind(share);
      pause(backoff.next());
      return;
    }
    backoff.reset();
    writeFailures.written(share);
    if (!batch.deadLetters().isEmpty()) {
      DeadLetter first = batch.deadLetters().getFirst();
      log.warn("{} record(s) dead-lettered, first: {}/{}/{}: {}", batch.deadLetters().size(), first.topic(),
          first.partition(), first.offset(), first.reason());
    }
    kafkaCommits.archived(batch.nextOffsets());
    for (TopicPartition tp : batch.nextOffsets().keySet()) {
      OptionalLong lag = consumer.currentLag(tp);
      if (lag.isPresent()) {
        metrics.lag(tp, lag.getAsLong());
      }
    }
  }

  /**
   * Partitions dealt round-robin into at most {@code writerThreads} shares, in a stable order; a poll of fewer than
   * {@link #SPLIT_MIN_RECORDS} records is one share.
   */
  private List<List<TopicPartition>> share(Set<TopicPartition> partitions, int records) {
    List<TopicPartition> sorted = new ArrayList<>(partitions);
    sorted.sort(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
    int n = records < SPLIT_MIN_RECORDS ? 1 : Math.min(writerThreads, sorted.size());
    List<List<TopicPartition>> shares = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      shares.add(new ArrayList<>());
    }
    for (int i = 0; i < sorted.size(); i++) {
      shares.get(i % n).add(sorted.get(i));
    }
    return shares;
  }

  private void rewind(Collection<TopicPartition> partitions) {
    consumer.pause(partitions);
    needSeek.addAll(partitions);
  }

  /**
   * Positions every partition in {@link #needSeek} from MySQL's offset and the range Kafka retains ({@link
   * StartPosition}), resuming it unless it must stay stopped; false if MySQL or Kafka cannot be read (retried).
   */
  private boolean seekToStored() {
    needSeek.retainAll(consumer.assignment());
    if (needSeek.isEmpty()) {
      return true;
    }
    Map<TopicPartition, Long> stored;
    Map<TopicPartition, Long> starts;
    Map<TopicPartition, Long> ends;
    try {
      stored = offsets.load(needSeek);
      starts = consumer.beginningOffsets(needSeek, OFFSETS_TIMEOUT);
      ends = consumer.endOffsets(needSeek, OFFSETS_TIMEOUT);
    } catch (SQLException e) {
      log.warn("cannot read stored offsets, retrying: {}", e.toString());
      return false;
    } catch (WakeupException e) {
      throw e;
    } catch (KafkaException e) {
      log.warn("cannot read the retained offsets of {}, retrying: {}", needSeek, e.toString());
      return false;
    }
    List<TopicPartition> resume = new ArrayList<>();
    for (TopicPartition tp : needSeek) {
      StartPosition start = StartPosition.decide(stored.get(tp), starts.get(tp), ends.get(tp),
          tp.topic().equals(topic) ? resets.get(tp.partition()) : null);
      switch (start) {
        case StartPosition.Stored s -> consumer.seek(tp, s.offset());
        case StartPosition.FromBeginning b -> consumer.seekToBeginning(List.of(tp)); // the whole retained partition
        case StartPosition.Reset r -> {
          try {
            offsets.saveNow(Map.of(tp, r.to()));
          } catch (SQLException e) {
            log.warn("cannot store the reset offset of {}, retrying: {}", tp, e.toString());
            return false;
          }
          log.warn("{}: operator reset (--reset-offsets) from stored offset {} to {}: the {} records at offsets {}..{}"
              + " are not archived", tp, r.from(), r.to(), Math.max(0, r.to() - r.from()), r.from(), r.to() - 1);
          consumer.seek(tp, r.to());
        }
        case StartPosition.Stopped s -> {
          // A position Kafka will never fetch from (the partition stays paused), so it does not ask for a reset.
          consumer.seek(tp, s.stored());
          if (stopped.stop(tp, s)) {
            log.error("{} STOPPED, nothing more is archived from it: {}. To recover, re-snapshot (kvctl"
                + " snapshot-to-kafka), then restart the consumer with --reset-offsets {}={} (docs/operations.md)",
                tp, s.reason(), tp.partition(), s.logStart());
          }
          continue;
        }
      }
      if (stopped.contains(tp)) {
        log.info("{} resumes: its stored offset is within the retained range again", tp);
        stopped.resume(tp);
      }
      resume.add(tp);
    }
    consumer.resume(resume);
    needSeek.clear();
    backoff.reset();
    return true;
  }

  /** Stopped partitions are looked at again now and then: an operator may have set their stored offset by hand. */
  private void recheckStopped() {
    if (stopped.isEmpty() || System.nanoTime() < recheckStoppedNanos) {
      return;
    }
    recheckStoppedNanos = System.nanoTime() + STOPPED_RECHECK.toNanos();
    for (TopicPartition tp : stopped.partitions()) {
      if (consumer.assignment().contains(tp)) {
        needSeek.add(tp);
      }
    }
  }

  private void pause(long millis) {
    if (stopping) {
      return;
    }
    try {
      stopRequested.await(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopping = true;
    }
  }

  /** Asks the loop to finish: the batch in flight (if any) completes or rolls back, then {@link #run()} returns. */
  public void stop() {
    stopping = true;
    stopRequested.countDown();
    consumer.wakeup();
  }

  /**
   * Partitions assigned to this consumer, or -1 before it first joined its group (or after it lost its assignment).
   * Any thread (readiness).
   */
  /** Partitions whose batches keep failing to be archived (readiness's "writing" check). */
  List<String> writeProblems() {
    return writeFailures.problems();
  }

  int assignedPartitions() {
    return assignedPartitions;
  }

  private volatile int assignedPartitions = -1;

  /** Waits for {@link #run()} to return. */
  public boolean awaitFinished(Duration timeout) throws InterruptedException {
    return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Runs inside {@code poll()} on the loop's thread. */
  private final class SeekToStoredOffsets implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      assignedPartitions = consumer.assignment().size();
      if (partitions.isEmpty()) {
        return;
      }
      log.info("assigned {}", partitions);
      rewind(partitions);
      awaitInFlight(); // needSeek may hold a partition whose doomed successors are still in flight
      seekToStored(); // if MySQL is down they stay paused; the loop retries
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      // Whatever is in flight commits or rolls back before the partitions go to another consumer, which starts from
      // the offsets stored with those transactions.
      awaitInFlight();
      kafkaCommits.flush(partitions);
      assignedPartitions = Math.max(0, assignedPartitions - partitions.size());
      needSeek.removeAll(partitions);
      stopped.forget(partitions);
      metrics.forget(partitions);
      writeFailures.written(partitions); // no longer this instance's to write
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      onPartitionsRevoked(partitions);
      assignedPartitions = -1;
    }
  }
}
