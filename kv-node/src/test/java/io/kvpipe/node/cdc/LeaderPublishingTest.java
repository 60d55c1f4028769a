package io.kvpipe.node.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.ChangeEventCodec;
import io.kvpipe.node.shard.OutboxView;
import io.kvpipe.testsupport.Poll;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.MockProducer;
import org.junit.jupiter.api.Test;

/** Publishing follows leadership: start on gaining it, stop on losing it, resume from the confirmed index. */
class LeaderPublishingTest {
  private final InMemoryOutbox outbox = new InMemoryOutbox("g1");
  private final FakeView view = new FakeView();
  private final FakeKafka kafka = new FakeKafka();

  @Test
  void publishesOnlyWhileLeaderAndResumesFromTheConfirmedIndex() {
    outbox.put("a", "1");
    outbox.put("b", "2");
    try (LeaderPublishing lp = LeaderPublishing.attach(view, CdcConfig.defaults("127.0.0.1:1"),
        new SimpleMeterRegistry(), kafka)) {
      assertThat(view.listeners).hasSize(1);
      assertThat(kafka.producers).isEmpty();

      view.setLeader(true);
      MockProducer<byte[], byte[]> first = kafka.awaitProducer(1);
      await("2 sends", () -> first.history().size() == 2);
      first.completeNext();
      await("confirm of 1", () -> outbox.confirmedIndex() == 1);

      view.setLeader(false);
      await("publisher stopped", () -> !lp.isPublishing() && first.closed());
      outbox.put("c", "3");

      view.setLeader(true);
      MockProducer<byte[], byte[]> second = kafka.awaitProducer(2);
      await("resend after the confirmed index", () -> second.history().size() == 2);
      assertThat(second.history().stream().map(r -> ChangeEventCodec.decode(r.value()).logIndex()))
          .containsExactly(2L, 3L);
      assertThat(first.history()).hasSize(2);
    }
    assertThat(kafka.producers.get(1).closed()).isTrue();
  }

  private static void await(String what, BooleanSupplier condition) {
    Poll.until(what, Duration.ofSeconds(20), Duration.ofMillis(5), condition);
  }

  /** The shard group's view, backed by the in-memory outbox; leadership flipped by the test. */
  private final class FakeView implements OutboxView {
    final List<LeadershipListener> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean leader;

    void setLeader(boolean l) {
      leader = l;
      listeners.forEach(x -> x.leadershipChanged(l));
    }

    @Override
    public String group() {
      return "g1";
    }

    @Override
    public List<ChangeEvent> pendingAfter(long afterIndex, int max) {
      return outbox.pendingAfter(afterIndex, max);
    }

    @Override
    public long confirmedIndex() {
      return outbox.confirmedIndex();
    }

    @Override
    public int size() {
      return (int) outbox.depth();
    }

    @Override
    public long bytes() {
      return 0;
    }

    @Override
    public boolean isLeader() {
      return leader;
    }

    @Override
    public void addLeadershipListener(LeadershipListener listener) {
      listeners.add(listener);
      listener.leadershipChanged(leader);
    }

    @Override
    public CompletableFuture<Long> confirmPublished(long upToIndex) {
      return outbox.confirm(upToIndex).thenApply(x -> outbox.confirmedIndex());
    }
  }
}
