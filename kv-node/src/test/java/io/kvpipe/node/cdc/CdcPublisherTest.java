package io.kvpipe.node.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.event.DebeziumEnvelope;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.ChangeEventCodec;
import io.kvpipe.testsupport.Poll;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The publisher's ordering, ack-tracking and fencing logic, with acks and failures driven by hand. */
class CdcPublisherTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final InMemoryOutbox outbox = new InMemoryOutbox("g1");
  private final FakeKafka kafka = new FakeKafka();
  private final AtomicBoolean leader = new AtomicBoolean(true);
  private final AtomicInteger leaderChecks = new AtomicInteger();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final CdcMetrics metrics = new CdcMetrics(registry, "g1", outbox);
  private CdcPublisher publisher;

  @AfterEach
  void stopPublisher() {
    if (publisher != null) {
      publisher.stop();
    }
  }

  private CdcPublisher start(CdcConfig config) {
    publisher = new CdcPublisher("g1", config, outbox, outbox, () -> {
      leaderChecks.incrementAndGet();
      return leader.get();
    }, metrics, kafka);
    publisher.start();
    return publisher;
  }

  private CdcPublisher start() {
    return start(CdcConfig.defaults("127.0.0.1:1").withRetryBackoffMax(Duration.ofMillis(50)));
  }

  @Test
  void sendsInLogOrderAndConfirmsOnlyTheContiguousAckedPrefix() {
    for (int i = 0; i < 5; i++) {
      outbox.put("k" + (i % 2), "v" + i);
    }
    start();
    MockProducer<byte[], byte[]> p = kafka.awaitProducer(1);
    await("5 sends", () -> p.history().size() == 5);
    assertThat(indexes(p)).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(DebeziumEnvelope.decodeKey(p.history().get(0).key())).isEqualTo("k0");

    for (int i = 0; i < 3; i++) {
      p.completeNext();
    }
    await("confirm of 3", () -> outbox.confirmedIndex() == 3);
    assertThat(publisher.ackedIndex()).isEqualTo(3);
    assertThat(outbox.confirms()).as("confirms never pass the acked prefix").allMatch(n -> n <= 3);

    p.completeNext();
    p.completeNext();
    await("confirm of 5", () -> outbox.confirmedIndex() == 5);
    assertThat(outbox.confirms()).isSorted().doesNotHaveDuplicates().allMatch(n -> n <= 5);
    assertThat(metrics.eventsPublished()).isEqualTo(5);
    assertThat(metrics.publishLag().count()).isEqualTo(5);
    assertThat(outbox.depth()).isZero();
  }

  @Test
  void aDeleteIsFollowedByItsTombstoneAndCountsAsPublishedOnlyOnceBothAreAcknowledged() {
    outbox.put("k", "v1");
    outbox.delete("k");
    start();
    MockProducer<byte[], byte[]> p = kafka.awaitProducer(1);
    await("3 sends", () -> p.history().size() == 3);
    var records = p.history();
    assertThat(records.get(1).value()).as("the delete").isNotNull();
    assertThat(records.get(2).value()).as("its tombstone").isNull();
    assertThat(records.get(2).key()).isEqualTo(records.get(1).key());
    assertThat(new String(records.get(2).headers().lastHeader(ChangeRecords.HEADER_FORMAT).value())).isEqualTo("2");
    assertThat(records.get(2).headers().lastHeader(ChangeRecords.HEADER_OP)).isNull();
    assertThat(ChangeEventCodec.decode(records.get(1).value()).op()).isEqualTo(io.kvpipe.common.event.Op.DELETE);

    p.completeNext();
    p.completeNext(); // the delete, not yet its tombstone
    await("confirm of 1", () -> outbox.confirmedIndex() == 1);
    assertThat(publisher.ackedIndex()).isEqualTo(1);
    p.completeNext();
    await("confirm of 2", () -> outbox.confirmedIndex() == 2);
    assertThat(metrics.eventsPublished()).isEqualTo(2);
  }

  @Test
  void withoutTombstonesADeleteIsOneRecord() {
    outbox.put("k", "v1");
    outbox.delete("k");
    CdcConfig base = CdcConfig.defaults("127.0.0.1:1").withRetryBackoffMax(Duration.ofMillis(50));
    start(base.withEnvelope(base.envelope(), false));
    MockProducer<byte[], byte[]> p = kafka.awaitProducer(1);
    await("2 sends", () -> p.history().size() == 2);
    p.completeNext();
    p.completeNext();
    await("confirm of 2", () -> outbox.confirmedIndex() == 2);
    assertThat(p.history()).hasSize(2).allMatch(r -> r.value() != null);
  }

  @Test
  void aFailedSendRestartsFromTheLastAckedIndexWithANewProducer() {
    for (int i = 0; i < 5; i++) {
      outbox.put("k" + i, "v" + i);
    }
    start();
    MockProducer<byte[], byte[]> first = kafka.awaitProducer(1);
    await("5 sends", () -> first.history().size() == 5);
    first.completeNext();
    first.completeNext();
    first.errorNext(new RecordTooLargeException("too large"));

    MockProducer<byte[], byte[]> second = kafka.awaitProducer(2);
    assertThat(first.closed()).isTrue();
    await("resend of 3..5", () -> second.history().size() == 3);
    assertThat(indexes(second)).containsExactly(3L, 4L, 5L);

    // Late acks of the abandoned producer must not move the frontier.
    first.completeNext();
    first.completeNext();
    assertThat(publisher.ackedIndex()).isEqualTo(2);

    while (second.completeNext()) {
      // ack everything the new producer was given
    }
    await("confirm of 5", () -> outbox.confirmedIndex() == 5);
    assertThat(metrics.kafkaErrors()).isEqualTo(1);
  }

  @Test
  void aSynchronousSendFailureAlsoResendsInOrder() {
    outbox.put("a", "1");
    outbox.put("b", "2");
    kafka.failFirstSends.set(1);
    start();
    MockProducer<byte[], byte[]> second = kafka.awaitProducer(2);
    await("resend", () -> second.history().size() == 2);
    assertThat(indexes(second)).containsExactly(1L, 2L);
  }

  @Test
  void aSendFailingThroughItsCallbackEndsTheBatchAtOnce() {
    for (int i = 0; i < 50; i++) {
      outbox.put("k" + i, "v" + i);
    }
    kafka.callbackFailuresLeft.set(1); // like KafkaProducer when metadata is missing: callback, no exception
    start();
    MockProducer<byte[], byte[]> second = kafka.awaitProducer(2);
    assertThat(kafka.producers.get(0).history()).hasSize(1);
    await("resend of all 50", () -> second.history().size() == 50);
    assertThat(indexes(second).get(0)).isEqualTo(1L);
  }

  @Test
  void unreachableKafkaIsRetriedUntilItAnswers() {
    outbox.put("a", "1");
    kafka.topicFailuresLeft.set(3);
    start();
    MockProducer<byte[], byte[]> p = kafka.awaitProducer(1);
    await("send", () -> p.history().size() == 1);
    p.completeNext();
    await("confirm", () -> outbox.confirmedIndex() == 1);
    assertThat(metrics.kafkaErrors()).isEqualTo(3);
  }

  @Test
  void eventsSharingALogIndexAreConfirmedOnlyWhenAllAreAcked() {
    outbox.put("a", "1");
    outbox.putAll(List.of("x", "y", "z"));
    outbox.put("b", "3");
    start();
    MockProducer<byte[], byte[]> p = kafka.awaitProducer(1);
    await("5 sends", () -> p.history().size() == 5);
    assertThat(indexes(p)).containsExactly(1L, 2L, 2L, 2L, 3L);
    p.completeNext();
    p.completeNext();
    p.completeNext();
    await("confirm of 1", () -> outbox.confirmedIndex() == 1);
    p.completeNext();
    await("confirm of 2", () -> publisher.ackedIndex() == 2 && outbox.confirmedIndex() == 2);
  }

  @Test
  void aFollowerSendsNothing() {
    leader.set(false);
    outbox.put("a", "1");
    start();
    int seen = leaderChecks.get();
    await("several leadership checks", () -> leaderChecks.get() >= seen + 5);
    assertThat(kafka.producers).isEmpty();

    leader.set(true);
    MockProducer<byte[], byte[]> p = kafka.awaitProducer(1);
    await("send after gaining leadership", () -> p.history().size() == 1);
  }

  @Test
  void stopEndsPublishingAtOnce() {
    outbox.put("a", "1");
    start();
    MockProducer<byte[], byte[]> p = kafka.awaitProducer(1);
    await("send", () -> p.history().size() == 1);

    publisher.stop();
    assertThat(publisher.isRunning()).isFalse();
    assertThat(p.closed()).isTrue();
    outbox.put("b", "2");
    publisher.wake();
    assertThat(p.history()).hasSize(1);
    assertThat(kafka.producers).hasSize(1);
  }

  @Test
  void backPressureCapsUnackedEvents() {
    CdcConfig base = CdcConfig.defaults("127.0.0.1:1");
    CdcConfig tight = new CdcConfig(base.bootstrapServers(), base.topic(), 1, (short) 1, base.linger(),
        base.batchSizeBytes(), base.confirmInterval(), 2, 2, base.maxRecordBytes(), Duration.ofMillis(50));
    for (int i = 0; i < 5; i++) {
      outbox.put("k" + i, "v" + i);
    }
    start(tight);
    MockProducer<byte[], byte[]> p = kafka.awaitProducer(1);
    await("first 2", () -> p.history().size() == 2);
    int seen = leaderChecks.get();
    await("several rounds", () -> leaderChecks.get() >= seen + 5);
    assertThat(p.history()).hasSize(2);
    p.completeNext();
    p.completeNext();
    await("next 2", () -> p.history().size() == 4);
  }

  @Test
  void aSnapshotLargerThanTheUnackedBoundGoesInChunksAndAStallResumesFromTheLastAckedChunk() {
    CdcConfig base = CdcConfig.defaults("127.0.0.1:1");
    CdcConfig tight = new CdcConfig(base.bootstrapServers(), base.topic(), 1, (short) 1, base.linger(),
        base.batchSizeBytes(), base.confirmInterval(), 50, 100, base.maxRecordBytes(), Duration.ofMillis(50));
    outbox.put("before", "1"); // index 1
    List<String> keys = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "s" + i).toList();
    outbox.putAll(keys);      // index 2: a snapshot of 1000 events, ten times the unacked bound
    outbox.put("after", "2"); // index 3
    kafka.bufferRecords.set(150); // more than that in flight and a send fails, as after max.block.ms
    start(tight);
    MockProducer<byte[], byte[]> p = kafka.awaitProducer(1);
    await("the first 100 sends", () -> p.history().size() >= 100);
    int seen = leaderChecks.get();
    await("several rounds", () -> leaderChecks.get() >= seen + 5);
    assertThat(p.history()).as("sends within one log index honour the unacked bound").hasSize(100);
    assertThat(kafka.producers).hasSize(1);

    for (int i = 0; i < 100; i++) {
      p.completeNext();
    }
    await("confirm of index 1", () -> outbox.confirmedIndex() == 1);
    await("the next chunk", () -> p.history().size() == 200);
    for (int i = 0; i < 50; i++) {
      p.completeNext();
    }
    p.errorNext(new org.apache.kafka.common.errors.TimeoutException("stall (test)"));
    MockProducer<byte[], byte[]> second = kafka.awaitProducer(2);
    await("the resend", () -> !second.history().isEmpty());
    ChangeEvent firstResent = ChangeEventCodec.decode(second.history().getFirst().value());
    assertThat(firstResent.logIndex()).isEqualTo(2);
    // The frontier moves by whole chunks, whose sizes depend on the room the acks left when each was sent: the resend
    // starts at the end of the last fully acknowledged chunk, after the first 100 (all acknowledged) and no later
    // than the first unacknowledged event (seq 149).
    assertThat(firstResent.seq()).as("resent from the last acknowledged chunk, not from seq 0").isBetween(99, 149);
    assertThat(outbox.confirmedIndex()).as("an index is confirmed only whole").isEqualTo(1);

    await("the snapshot and the write after it confirmed", () -> {
      while (second.completeNext()) {
        // Kafka answers everything sent so far
      }
      return outbox.confirmedIndex() == 3;
    });
    java.util.Set<Integer> seqs = new java.util.TreeSet<>();
    for (MockProducer<byte[], byte[]> any : kafka.producers) {
      any.history().stream().map(r -> ChangeEventCodec.decode(r.value())).filter(e -> e.logIndex() == 2)
          .forEach(e -> seqs.add(e.seq()));
    }
    assertThat(seqs).hasSize(1000);
    assertThat(kafka.producers).hasSize(2);
  }

  private static List<Long> indexes(MockProducer<byte[], byte[]> p) {
    return p.history().stream().map(r -> ChangeEventCodec.decode(r.value()).logIndex()).toList();
  }

  private static void await(String what, BooleanSupplier condition) {
    Poll.until(what, WAIT, Duration.ofMillis(5), condition);
  }
}
