package io.kvpipe.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConsumerHealthTest {
  private static final ConsumerHealth.Ping OK = new ConsumerHealth.Ping(1_000, null);

  private static boolean ready(List<ConsumerHealth.Check> checks) {
    return checks.stream().allMatch(ConsumerHealth.Check::ok);
  }

  @Test
  void readyOnceJoinedWithTheDatabaseAnsweringAndNoPartitionStopped() {
    assertThat(ready(ConsumerHealth.evaluate(3, OK, 2_000, 10_000, List.of()))).isTrue();
    // More instances than partitions: joined with none assigned is ready too.
    assertThat(ready(ConsumerHealth.evaluate(0, OK, 2_000, 10_000, List.of()))).isTrue();
  }

  @Test
  void eachFailingCheckIsNamed() {
    List<ConsumerHealth.Check> notJoined = ConsumerHealth.evaluate(-1, OK, 2_000, 10_000, List.of());
    assertThat(ConsumerHealth.toJson(notJoined)).containsEntry("status", "not ready")
        .containsEntry("problems", List.of("kafka-group: not joined the consumer group yet"));
    assertThat(ConsumerHealth.toJson(ConsumerHealth.evaluate(2, new ConsumerHealth.Ping(1_000, "refused"), 2_000,
        10_000, List.of())).get("problems")).isEqualTo(List.of("database: archive database unreachable: refused"));
    assertThat(ConsumerHealth.toJson(ConsumerHealth.evaluate(2, OK, 20_000, 10_000, List.of())).get("problems"))
        .isEqualTo(List.of("database: archive database last answered 19000 ms ago"));
    assertThat(ready(ConsumerHealth.evaluate(2, ConsumerHealth.Ping.NONE, 2_000, 10_000, List.of()))).isFalse();
    assertThat(ConsumerHealth.toJson(ConsumerHealth.evaluate(2, OK, 2_000, 10_000, List.of("t-0 STOPPED")))
        .get("problems")).isEqualTo(List.of("partitions: t-0 STOPPED"));
  }
}
