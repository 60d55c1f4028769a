package io.kvpipe.consumer;

import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer's task: poll a batch, split it into events and dead letters, publish the dead letters, write the batch
 * in one MySQL transaction (rows + offsets), then commit the offsets to Kafka too (for lag tools; MySQL is the truth).
 *
 * <p>Where to read from is always what MySQL says: on assignment, and after any failed batch, the affected partitions
 * are paused and re-seeked to their stored offsets before anything more is read, retrying with backoff while MySQL is
 * down. So nothing is skipped and a replay only re-writes rows that are idempotent anyway.
 *
 * <p>Threads: {@link #run()} owns the Kafka consumer and every field below; {@link #stop()} may be called from any
 * thread (it only sets a flag and wakes the consumer).
 */
public final class ArchiveLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(ArchiveLoop.class);

  private final Consumer<byte[], byte[]> consumer;
  private final String topic;
  private final Duration pollTimeout;
  private final EventDecoder decoder;
  private final ArchiveWriter writer;
  private final OffsetStore offsets;
  private final DeadLetterPublisher deadLetters;
  private final ArchiveMetrics metrics;
  private final Backoff backoff;
  /** Assigned partitions whose position must first be set from MySQL; they stay paused until then. */
  private final Set<TopicPartition> needSeek = new HashSet<>();
  private volatile boolean stopping;
  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final CountDownLatch finished = new CountDownLatch(1);

  ArchiveLoop(Consumer<byte[], byte[]> consumer, String topic, Duration pollTimeout, EventDecoder decoder,
              ArchiveWriter writer, OffsetStore offsets, DeadLetterPublisher deadLetters, ArchiveMetrics metrics,
              Backoff backoff) {
    this.consumer = consumer;
    this.topic = topic;
    this.pollTimeout = pollTimeout;
    this.decoder = decoder;
    this.writer = writer;
    this.offsets = offsets;
    this.deadLetters = deadLetters;
    this.metrics = metrics;
    this.backoff = backoff;
  }

  @Override
  public void run() {
    try {
      consumer.subscribe(List.of(topic), new SeekToStoredOffsets());
      while (!stopping) {
        if (!needSeek.isEmpty() && !seekToStored()) {
          pause(backoff.next());
        }
        ConsumerRecords<byte[], byte[]> records = consumer.poll(pollTimeout);
        if (!records.isEmpty() && !stopping) {
          archive(records);
        }
      }
    } catch (WakeupException e) {
      if (!stopping) {
        throw e;
      }
    } finally {
      finished.countDown();
    }
  }

  /** One batch: all or nothing. On failure the batch's partitions rewind to MySQL's offsets; nothing is skipped. */
  private void archive(ConsumerRecords<byte[], byte[]> records) {
    long start = System.nanoTime();
    ArchiveBatch batch = decoder.decode(records);
    try {
      deadLetters.publish(batch.deadLetters());
      writer.write(batch);
    } catch (SQLException | KafkaException e) {
      metrics.batchFailed();
      log.warn("batch of {} records not archived, will retry from the stored offsets: {}", batch.size(), e.toString());
      rewind(consumer.assignment());
      pause(backoff.next());
      return;
    }
    backoff.reset();
    metrics.batchDone(batch.events().size(), batch.deadLetters().size(), System.nanoTime() - start);
    if (!batch.deadLetters().isEmpty()) {
      log.warn("{} record(s) dead-lettered, first: {}/{}/{}: {}", batch.deadLetters().size(),
          batch.deadLetters().getFirst().topic(), batch.deadLetters().getFirst().partition(),
          batch.deadLetters().getFirst().offset(), batch.deadLetters().getFirst().reason());
    }
    commitToKafka(batch.nextOffsets());
    for (TopicPartition tp : batch.nextOffsets().keySet()) {
      OptionalLong lag = consumer.currentLag(tp);
      if (lag.isPresent()) {
        metrics.lag(tp, lag.getAsLong());
      }
    }
  }

  /** Informational only: a failed Kafka commit loses nothing, MySQL holds the offsets. */
  private void commitToKafka(Map<TopicPartition, Long> next) {
    Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
    next.forEach((tp, off) -> commit.put(tp, new OffsetAndMetadata(off)));
    consumer.commitAsync(commit, (o, e) -> {
      if (e != null) {
        log.debug("Kafka offset commit failed (MySQL has the offsets): {}", e.toString());
      }
    });
  }

  private void rewind(Collection<TopicPartition> partitions) {
    consumer.pause(partitions);
    needSeek.addAll(partitions);
  }

  /** Seeks every partition in {@link #needSeek} to MySQL's offset and resumes it; false if MySQL cannot be read. */
  private boolean seekToStored() {
    needSeek.retainAll(consumer.assignment());
    if (needSeek.isEmpty()) {
      return true;
    }
    Map<TopicPartition, Long> stored;
    try {
      stored = offsets.load(needSeek);
    } catch (SQLException e) {
      log.warn("cannot read stored offsets, retrying: {}", e.toString());
      return false;
    }
    for (TopicPartition tp : needSeek) {
      Long next = stored.get(tp);
      if (next != null) {
        consumer.seek(tp, next);
      } else {
        consumer.seekToBeginning(List.of(tp)); // never archived: the whole retained partition
      }
    }
    consumer.resume(needSeek);
    needSeek.clear();
    backoff.reset();
    return true;
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

  /** Waits for {@link #run()} to return. */
  public boolean awaitFinished(Duration timeout) throws InterruptedException {
    return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Runs inside {@code poll()} on the loop's thread. */
  private final class SeekToStoredOffsets implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      log.info("assigned {}", partitions);
      rewind(partitions);
      seekToStored(); // if MySQL is down they stay paused; the loop retries
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      needSeek.removeAll(partitions);
      metrics.forget(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      onPartitionsRevoked(partitions);
    }
  }
}
