package io.kvpipe.node.cdc;

import io.kvpipe.testsupport.Poll;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Hands out MockProducers (acks by hand); can fail the topic check or the first sends. */
final class FakeKafka implements KafkaAccess {
  final List<MockProducer<byte[], byte[]>> producers = new CopyOnWriteArrayList<>();
  final AtomicInteger topicFailuresLeft = new AtomicInteger();
  final AtomicInteger failFirstSends = new AtomicInteger();
  final AtomicInteger callbackFailuresLeft = new AtomicInteger();
  /**
   * Records a producer holds unacknowledged before a send fails (0: no limit), like KafkaProducer whose buffer stays
   * full past max.block.ms: the callback gets a BufferExhaustedException and the record is not sent.
   */
  final AtomicInteger bufferRecords = new AtomicInteger();

  @Override
  public void ensureTopic() {
    if (topicFailuresLeft.getAndDecrement() > 0) {
      throw new CdcKafkaException("Kafka unreachable (test)", null);
    }
  }

  @Override
  public Producer<byte[], byte[]> newProducer() {
    boolean failViaCallback = callbackFailuresLeft.getAndDecrement() > 0;
    int buffer = bufferRecords.get();
    MockProducer<byte[], byte[]> p =
        new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer()) {
          private int outstanding;

          @Override
          public synchronized Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> r, Callback callback) {
            if (buffer > 0 && outstanding >= buffer) {
              var full = new org.apache.kafka.clients.producer.BufferExhaustedException("buffer full (test)");
              callback.onCompletion(null, full);
              return java.util.concurrent.CompletableFuture.failedFuture(full);
            }
            outstanding++;
            Future<RecordMetadata> f = super.send(r, callback);
            if (failViaCallback) {
              errorNext(new org.apache.kafka.common.errors.TimeoutException("no metadata (test)"));
            }
            return f;
          }

          @Override
          public synchronized boolean completeNext() {
            boolean done = super.completeNext();
            outstanding -= done ? 1 : 0;
            return done;
          }

          @Override
          public synchronized boolean errorNext(RuntimeException e) {
            boolean done = super.errorNext(e);
            outstanding -= done ? 1 : 0;
            return done;
          }
        };
    if (failFirstSends.getAndDecrement() > 0) {
      p.sendException = new org.apache.kafka.common.errors.TimeoutException("buffer full (test)");
    }
    producers.add(p);
    return p;
  }

  MockProducer<byte[], byte[]> awaitProducer(int n) {
    Poll.until("producer #" + n, Duration.ofSeconds(20), Duration.ofMillis(5), () -> producers.size() >= n);
    return producers.get(n - 1);
  }
}
