package io.kvpipe.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KafkaOffsetCommitsTest {
  private static final TopicPartition P0 = new TopicPartition("kv.changes", 0);
  private static final TopicPartition P1 = new TopicPartition("kv.changes", 1);

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private MockConsumer<byte[], byte[]> consumer;

  @BeforeEach
  void assign() {
    consumer = new MockConsumer<>("none");
    consumer.assign(List.of(P0, P1));
  }

  private Map<TopicPartition, OffsetAndMetadata> committed() {
    return consumer.committed(java.util.Set.of(P0, P1));
  }

  @Test
  void commitsTheNewestOffsetsOncePerInterval() {
    KafkaOffsetCommits commits = new KafkaOffsetCommits(consumer, Duration.ofSeconds(1), now::get);
    commits.archived(Map.of(P0, 10L));
    commits.maybeCommit();
    assertThat(committed().get(P0).offset()).isEqualTo(10);

    commits.archived(Map.of(P0, 20L, P1, 5L));
    commits.archived(Map.of(P0, 15L)); // a smaller one never moves a partition back
    commits.maybeCommit();
    assertThat(committed().get(P0).offset()).as("within the interval: nothing sent").isEqualTo(10);
    assertThat(committed().get(P1)).isNull();

    now.addAndGet(Duration.ofSeconds(1).toNanos());
    commits.maybeCommit();
    assertThat(committed().get(P0).offset()).isEqualTo(20);
    assertThat(committed().get(P1).offset()).isEqualTo(5);
  }

  @Test
  void zeroIntervalCommitsEveryTime() {
    KafkaOffsetCommits commits = new KafkaOffsetCommits(consumer, Duration.ZERO, now::get);
    commits.archived(Map.of(P0, 3L));
    commits.maybeCommit();
    commits.archived(Map.of(P0, 4L));
    commits.maybeCommit();
    assertThat(committed().get(P0).offset()).isEqualTo(4);
  }

  @Test
  void revokedPartitionsAndTheEndCommitAtOnce() {
    KafkaOffsetCommits commits = new KafkaOffsetCommits(consumer, Duration.ofHours(1), now::get);
    commits.archived(Map.of(P0, 7L));
    commits.maybeCommit(); // the first commit goes at once
    commits.archived(Map.of(P0, 8L, P1, 9L));
    commits.flush(List.of(P1));
    assertThat(committed().get(P1).offset()).isEqualTo(9);
    assertThat(committed().get(P0).offset()).isEqualTo(7);
    commits.flushAll();
    assertThat(committed().get(P0).offset()).isEqualTo(8);
  }
}
