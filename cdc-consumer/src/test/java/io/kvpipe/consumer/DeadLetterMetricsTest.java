package io.kvpipe.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.metrics.StandardMeters;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The dead-letter producer's Kafka client meters are exported like the consumer's (they were not bound at all). */
class DeadLetterMetricsTest {
  @Test
  void theDeadLetterProducerIsBound() {
    SimpleMeterRegistry registry = StandardMeters.configure(new SimpleMeterRegistry());
    try (DeadLetterPublisher publisher = new DeadLetterPublisher("127.0.0.1:1", "dlq", registry)) {
      assertThat(registry.getMeters()).map(Meter::getId)
          .anyMatch(id -> id.getName().startsWith("kafka.producer.")
              && "kvpipe-archive-dlq".equals(id.getTag("client.id")));
    }
    // Closed with the publisher: no meter reads a closed client.
    assertThat(registry.getMeters()).map(Meter::getId)
        .noneMatch(id -> id.getName().startsWith("kafka.producer.")
            && "kvpipe-archive-dlq".equals(id.getTag("client.id")));
  }
}
