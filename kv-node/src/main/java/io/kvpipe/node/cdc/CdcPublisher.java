package io.kvpipe.node.cdc;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.DebeziumEnvelope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes one shard group's outbox to Kafka while this replica leads the group: reads committed events in log
 * order after the confirmed index, sends them with an idempotent producer, tracks the highest index up to which
 * Kafka acknowledged everything, and periodically confirms that index through Raft (which trims the outbox).
 *
 * <p><b>Lifecycle.</b> One instance per leadership term: {@link #start()} on becoming leader, {@link #stop()} on
 * stepping down. It starts from the replicated confirmed index, so a new leader republishes what its predecessor
 * may have sent but not confirmed: delivery is at-least-once, and a repeat carries the same identity
 * {@code (group, log_index, seq)}, which the archive deduplicates.
 *
 * <p><b>Why a deposed leader is harmless.</b> The outbox only ever holds events of applied, hence committed, log
 * entries; a deposed leader therefore can only send events the new leader will also send, with the same identity
 * and bytes — a duplicate, never a phantom or a conflicting version. It is fenced three ways: {@link #stop()} closes
 * the producer at once (aborting unsent batches), the leadership check before every batch and confirm stops it
 * sending even if the stop arrives late, and its confirms go through Raft, which a non-leader cannot commit (and a
 * confirm is true anyway: it names only indexes Kafka acknowledged).
 *
 * <p><b>Order and outages.</b> The producer retries forever internally and keeps a partition's order (see
 * {@link KafkaAccess#producerProperties}). If a send still fails, or Kafka cannot be reached, the producer is
 * abandoned and a new one resends everything after the last contiguous ack, after an exponential backoff; the
 * publisher never skips an event.
 *
 * <p><b>Bounds.</b> At most {@code maxUnackedEvents} events and {@link #MAX_UNACKED_BYTES} are in flight, also within
 * one log index: a snapshot or bulk entry with more events goes in chunks by seq, and the ack frontier is a (index,
 * seq) position, so a stall resends from the last acknowledged chunk. The producer's buffer therefore never fills
 * (a send blocked past max.block.ms would fail), and even an index larger than anything the producer could hold at
 * once completes. Raft confirms stay per whole index: a new leader resends a partly published index from seq 0.
 *
 * <p><b>Threads.</b> One publisher thread owns the producer, the read buffer and the confirm schedule. Acks arrive
 * on the producer's I/O thread and go to the {@link AckTracker}. {@link #wake()} may be called from any thread.
 */
public final class CdcPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CdcPublisher.class);
  // The outbox has no "new events" signal of its own; polling it (a map tail lookup) this often is cheap.
  private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  private static final long FIRST_BACKOFF_MS = 100;
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(30);
  /**
   * Encoded bytes in flight before the publisher waits: half the producer's smallest buffer ({@link
   * KafkaAccess#producerProperties}), so a send never blocks on a full buffer (a block past max.block.ms fails it).
   */
  static final long MAX_UNACKED_BYTES = 16L << 20;

  private final String groupId;
  private final CdcConfig config;
  private final OutboxSource outbox;
  private final PublishConfirmer confirmer;
  private final LeaderCheck leader;
  private final CdcMetrics metrics;
  private final KafkaAccess kafka;
  private final DebeziumEnvelope encoder;
  private final Thread thread;
  private final AckTracker tracker = new AckTracker(0);
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean confirmInFlight = new AtomicBoolean();
  /** Whether the last confirm failed: log the first failure of a streak only. */
  private final AtomicBoolean confirmFailing = new AtomicBoolean();
  private volatile boolean stopped;
  /** Written by the publisher thread; read by {@link #stop()} to abort it. */
  private volatile Producer<byte[], byte[]> producer;

  // Publisher thread only.
  private boolean topicReady;
  /** Outbox events read but not yet sent, from {@code bufferPos}; dropped at every (re)start. */
  private List<ChangeEvent> buffer = List.of();
  private int bufferPos;
  private long nextConfirmNanos;
  private long backoffMs;
  private boolean failing;
  /** The failure that started the current streak, while nothing was acknowledged since; read by readiness checks. */
  private volatile String failure;
  private long ackedAtFailure;

  public CdcPublisher(String groupId, CdcConfig config, OutboxSource outbox, PublishConfirmer confirmer,
                      LeaderCheck leader, CdcMetrics metrics, TopicStatus topic) {
    this(groupId, config, outbox, confirmer, leader, metrics,
        KafkaAccess.of(config, groupId, topic, metrics.registry()));
  }

  CdcPublisher(String groupId, CdcConfig config, OutboxSource outbox, PublishConfirmer confirmer, LeaderCheck leader,
               CdcMetrics metrics, KafkaAccess kafka) {
    this.groupId = Objects.requireNonNull(groupId, "groupId");
    this.config = Objects.requireNonNull(config, "config");
    this.outbox = Objects.requireNonNull(outbox, "outbox");
    this.confirmer = Objects.requireNonNull(confirmer, "confirmer");
    this.leader = Objects.requireNonNull(leader, "leader");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.kafka = kafka;
    this.encoder = config.encoder();
    this.thread = new Thread(this::run, "cdc-publisher-" + groupId);
    this.thread.setDaemon(true);
  }

  /** Starts publishing (once per instance). */
  public void start() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("CDC publisher of group " + groupId + " already started");
    }
    thread.start();
  }

  /** New events were committed: look now rather than at the next idle poll. Cheap; any thread. */
  public void wake() {
    LockSupport.unpark(thread);
  }

  /**
   * Stops publishing promptly: aborts the producer's unsent batches, and returns once the publisher thread has
   * ended (bounded wait). Nothing is sent after this returns. Idempotent; not to be called from a producer callback.
   */
  public void stop() {
    stopped = true;
    LockSupport.unpark(thread);
    Producer<byte[], byte[]> p = producer;
    if (p != null) {
      closeQuietly(p);
    }
    if (started.get() && Thread.currentThread() != thread) {
      try {
        thread.join(STOP_TIMEOUT.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (thread.isAlive()) {
        log.warn("CDC publisher of group {} did not stop within {}", groupId, STOP_TIMEOUT);
      }
    }
  }

  @Override
  public void close() {
    stop();
  }

  public boolean isRunning() {
    return thread.isAlive();
  }

  /**
   * What keeps this publisher from Kafka right now, or null if its producer holds a connection to a broker (the
   * idempotent producer connects at once to get its producer id, and reconnects by itself; it has none while every
   * broker is unreachable). Names the last failure, if a send or topic check failed since Kafka last acknowledged
   * something. Cheap (reads the producer's metrics); any thread.
   */
  public String kafkaProblem() {
    String lastFailure = failure == null ? "" : " (last failure: " + failure + ")";
    Producer<byte[], byte[]> p = producer;
    if (stopped || !thread.isAlive()) {
      return "publisher stopped";
    }
    if (p == null) {
      return "no Kafka producer yet" + lastFailure;
    }
    double connections = 0;
    try {
      for (var e : p.metrics().entrySet()) {
        if (e.getKey().name().equals("connection-count") && e.getKey().group().equals("producer-metrics")
            && e.getValue().metricValue() instanceof Number n) {
          connections += n.doubleValue();
        }
      }
    } catch (RuntimeException e) {
      return "Kafka producer unavailable: " + e;
    }
    return connections > 0 ? null : "no connection to Kafka (" + config.bootstrapServers() + ")" + lastFailure;
  }

  /** The highest log index up to which Kafka acknowledged every event (this term). */
  public long ackedIndex() {
    return tracker.ackedUpTo();
  }

  private void run() {
    while (!stopped) {
      try {
        if (backoffMs > 0) {
          pause(TimeUnit.MILLISECONDS.toNanos(backoffMs));
          if (stopped) {
            break;
          }
        }
        step();
      } catch (RuntimeException e) {
        if (stopped) {
          break;
        }
        onFailure(e);
      }
    }
    abandonProducer();
    metrics.unackedEvents.set(0);
  }

  /** One round: set up if needed, surface failed sends, confirm if due, send a batch or idle. */
  private void step() {
    if (!leader.isLeader()) {
      // The wiring stops us on step-down; until then (or if leadership returns) send nothing.
      pause(IDLE_NANOS);
      return;
    }
    if (producer == null) {
      if (!topicReady) {
        kafka.ensureTopic();
        topicReady = true;
      }
      tracker.reset(outbox.confirmedIndex());
      buffer = List.of();
      producer = kafka.newProducer();
    }
    Throwable failed = tracker.takeFailure();
    if (failed != null) {
      if (failed instanceof RecordTooLargeException) {
        // Refused for good: no retry can pass it. Read the topic's settings again (the node then refuses such writes)
        // and say what has to change; the event stays in the outbox until the topic takes it.
        topicReady = false;
        log.error("CDC publishing of group {} is STUCK: Kafka refuses an event after log index {} as too large ({})."
            + " Raise the topic's max.message.bytes (docs/operations.md); publishing resumes by itself then",
            groupId, tracker.ackedUpTo(), failed.getMessage());
      }
      throw new CdcKafkaException("send failed: " + failed.getMessage(), failed);
    }
    maybeConfirm();
    boolean sent = sendBatch();
    long acked = tracker.ackedUpTo();
    metrics.unackedEvents.set(tracker.unackedEvents());
    metrics.ackedIndex.set(acked);
    if (failing && acked > ackedAtFailure) {
      log.info("CDC publishing of group {} resumed (acknowledged up to log index {})", groupId, acked);
      failing = false;
      failure = null;
      backoffMs = 0;
    }
    if (!sent) {
      long untilConfirm = nextConfirmNanos - System.nanoTime();
      pause(untilConfirm > 0 ? Math.min(IDLE_NANOS, untilConfirm) : IDLE_NANOS);
    }
  }

  /**
   * Sends the next outbox events, as many as the unacked bounds leave room for; false if there was nothing to send (or
   * no room). A log index with more events than that (a snapshot, a bulk load) goes in chunks by seq, each registered
   * with the tracker before it is sent, so a stall resends from the last acknowledged chunk rather than the index start.
   */
  private boolean sendBatch() {
    long unacked = tracker.unackedEvents();
    long unackedBytes = tracker.unackedBytes();
    if (unacked >= config.maxUnackedEvents() || (unacked > 0 && unackedBytes >= MAX_UNACKED_BYTES)) {
      return false;
    }
    if (bufferPos >= buffer.size() && !refill()) {
      return false;
    }
    if (!leader.isLeader() || stopped) {
      return false;
    }
    Producer<byte[], byte[]> p = producer;
    long roomEvents = config.maxUnackedEvents() - unacked;
    long roomBytes = MAX_UNACKED_BYTES - unackedBytes;
    // A failed send (e.g. metadata unavailable: each such send blocks up to max.block.ms) ends the batch at once;
    // the rest would only be resent after the restart from the last contiguous ack anyway.
    while (bufferPos < buffer.size() && roomEvents > 0 && (roomBytes > 0 || unacked == 0) && !stopped
        && !tracker.hasFailure()) {
      long index = buffer.get(bufferPos).logIndex();
      int fromSeq = buffer.get(bufferPos).seq();
      // One entry per event: its record, and the tombstone that follows a delete (when on).
      List<List<ProducerRecord<byte[], byte[]>>> chunk = new ArrayList<>();
      long bytes = 0;
      int end = bufferPos;
      long now = System.currentTimeMillis();
      // At least one event per chunk, so one event larger than the byte bound still goes (alone).
      // A chunk is at most a batch: the ack frontier moves by chunks, so they stay small enough to show progress.
      while (end < buffer.size() && buffer.get(end).logIndex() == index && chunk.size() < roomEvents
          && chunk.size() < config.maxBatchEvents() && (chunk.isEmpty() || bytes < roomBytes)) {
        List<ProducerRecord<byte[], byte[]>> records = ChangeRecords.toRecords(config.topic(), buffer.get(end),
            encoder, config.tombstones(), now);
        chunk.add(records);
        bytes += records.getFirst().value().length;
        end++;
      }
      boolean last = end == buffer.size() || buffer.get(end).logIndex() != index;
      AckTracker.Slot slot = tracker.register(index, fromSeq, chunk.size(), bytes, last);
      for (int k = 0; k < chunk.size(); k++) {
        long tsMs = buffer.get(bufferPos + k).tsMs();
        List<ProducerRecord<byte[], byte[]>> records = chunk.get(k);
        long size = records.getFirst().value().length;
        if (records.size() == 1) {
          p.send(records.getFirst(), (RecordMetadata md, Exception ex) -> onAck(slot, tsMs, size, ex));
        } else {
          // The event counts as acknowledged once its tombstone is too (same partition, so in order).
          EventAcks acks = new EventAcks(records.size(), ex -> onAck(slot, tsMs, size, ex));
          for (ProducerRecord<byte[], byte[]> r : records) {
            p.send(r, (RecordMetadata md, Exception ex) -> acks.one(ex));
          }
        }
      }
      bufferPos = end;
      roomEvents -= chunk.size();
      roomBytes -= bytes;
      unacked += chunk.size();
    }
    return true;
  }

  /**
   * Reads the outbox after what is registered: from the start of a partly registered index, skipping its events
   * already registered (the outbox returns whole indexes only). False if there is nothing new.
   */
  private boolean refill() {
    long open = tracker.registeringIndex();
    buffer = outbox.pendingAfter(open != 0 ? open - 1 : tracker.highestRegistered(), config.maxBatchEvents());
    bufferPos = 0;
    if (open != 0) {
      int skip = tracker.registeringSeq();
      while (bufferPos < buffer.size() && buffer.get(bufferPos).logIndex() == open
          && buffer.get(bufferPos).seq() < skip) {
        bufferPos++;
      }
    }
    return bufferPos < buffer.size();
  }

  /** Producer I/O thread. */
  private void onAck(AckTracker.Slot slot, long tsMs, long bytes, Exception error) {
    if (error != null) {
      if (tracker.failed(slot, error)) {
        LockSupport.unpark(thread);
      }
      return;
    }
    if (tracker.acked(slot, bytes)) {
      metrics.published.increment();
      metrics.publishLag.record(Math.max(0, System.currentTimeMillis() - tsMs), TimeUnit.MILLISECONDS);
    }
  }

  private void maybeConfirm() {
    long now = System.nanoTime();
    if (now < nextConfirmNanos || confirmInFlight.get()) {
      return;
    }
    long acked = tracker.ackedUpTo();
    if (acked <= outbox.confirmedIndex() || !leader.isLeader()) {
      return;
    }
    nextConfirmNanos = now + config.confirmInterval().toNanos();
    confirmInFlight.set(true);
    CompletableFuture<?> f;
    try {
      f = confirmer.confirm(acked);
    } catch (RuntimeException e) {
      confirmInFlight.set(false);
      onConfirmFailed(acked, e);
      return;
    }
    f.copy().orTimeout(CONFIRM_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).whenComplete((r, ex) -> {
      confirmInFlight.set(false);
      if (ex != null) {
        onConfirmFailed(acked, ex);
      } else {
        metrics.confirms.increment();
        if (confirmFailing.compareAndSet(true, false)) {
          log.info("CDC confirms of group {} succeed again (up to log index {})", groupId, acked);
        }
      }
    });
  }

  private void onConfirmFailed(long index, Throwable e) {
    metrics.confirmErrors.increment();
    if (stopped || !leader.isLeader()) {
      return; // expected while stepping down
    }
    if (confirmFailing.compareAndSet(false, true)) {
      log.warn("CDC confirm of group {} up to {} failed (retrying every {}): {}", groupId, index,
          config.confirmInterval(), e.toString());
    } else {
      log.debug("CDC confirm of group {} up to {} failed again", groupId, index, e);
    }
  }

  /** Abandons the producer and anything unacknowledged; the next step resends from the last contiguous ack. */
  private void onFailure(RuntimeException e) {
    metrics.kafkaErrors.increment();
    abandonProducer();
    backoffMs = backoffMs == 0 ? FIRST_BACKOFF_MS : Math.min(backoffMs * 2, config.retryBackoffMax().toMillis());
    if (!failing) {
      ackedAtFailure = tracker.ackedUpTo();
      log.warn("CDC publishing of group {} to {} failed; resending from log index {} with backoff: {}", groupId,
          config.bootstrapServers(), tracker.ackedUpTo(), e.toString());
      failing = true;
      failure = e.toString();
    } else {
      log.debug("CDC publishing of group {} still failing (next attempt in {} ms)", groupId, backoffMs, e);
    }
  }

  private void abandonProducer() {
    // New generation first, so the aborted sends' error callbacks are ignored.
    tracker.reset(tracker.ackedUpTo());
    buffer = List.of();
    Producer<byte[], byte[]> p = producer;
    producer = null;
    if (p != null) {
      closeQuietly(p);
    }
  }

  private void closeQuietly(Producer<byte[], byte[]> p) {
    try {
      p.close(Duration.ZERO);
    } catch (RuntimeException e) {
      log.debug("closing the CDC producer of group {} failed", groupId, e);
    }
  }

  private void pause(long nanos) {
    if (nanos > 0 && !stopped) {
      LockSupport.parkNanos(this, nanos);
    }
  }
}
