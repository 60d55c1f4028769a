package io.kvpipe.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class WriteFailuresTest {
  private static final TopicPartition P0 = new TopicPartition("t", 0);
  private static final TopicPartition P1 = new TopicPartition("t", 1);

  @Test
  void aPartitionFailingOnItsLastTriesOrForTooLongCannotWriteUntilABatchOfItIsWritten() {
    AtomicLong now = new AtomicLong(1_000);
    WriteFailures f = new WriteFailures(3, 30_000, now::get);
    f.failed(List.of(P0, P1), "refused");
    f.failed(List.of(P0), "refused");
    assertThat(f.problems()).isEmpty(); // two tries, one second: a blip
    f.failed(List.of(P0), "refused again");
    assertThat(f.problems()).singleElement().asString().startsWith("t-0 failed 3 tries").endsWith("refused again");
    now.addAndGet(31_000); // P1 tried once, but long ago and never written since
    assertThat(f.problems()).hasSize(2);
    f.written(List.of(P0));
    assertThat(f.problems()).singleElement().asString().startsWith("t-1 failed 1 try");
    f.written(List.of(P1));
    assertThat(f.problems()).isEmpty();
  }

  @Test
  void readinessNamesThePartitionsThatCannotWrite() {
    List<ConsumerHealth.Check> checks = ConsumerHealth.evaluate(2, new ConsumerHealth.Ping(1_000, null), 2_000,
        10_000, List.of(), List.of("t-0 failed 3 tries in a row over 2000 ms, last: x"));
    assertThat(ConsumerHealth.toJson(checks).get("status")).isEqualTo("not ready");
    assertThat(ConsumerHealth.toJson(checks).get("problems").toString()).contains("writing: batches not archived: t-0");
    assertThat(ConsumerHealth.toJson(ConsumerHealth.evaluate(2, new ConsumerHealth.Ping(1_000, null), 2_000, 10_000,
        List.of(), List.of())).get("status")).isEqualTo("ready");
  }
}
