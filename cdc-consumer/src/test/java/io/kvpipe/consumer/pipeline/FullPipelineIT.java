package io.kvpipe.consumer.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.consumer.pipeline.ArchiveContents.Row;
import io.kvpipe.consumer.pipeline.MixedWorkload.Ack;
import io.kvpipe.consumer.pipeline.MixedWorkload.Uncertain;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4's full pipeline: concurrent clients write to a real 3-replica shard group with CDC on (its leader killed with
 * SIGKILL once mid-load) → real broker → the archive consumer → a fresh MySQL database. Once the pipeline is idle,
 * kv_current equals the store's records exactly (tombstones included), every acknowledged write has exactly one
 * kv_changelog row, and any other row is a write whose acknowledgement was lost in the kill.
 */
@ExtendWith(MySqlExtension.class)
class FullPipelineIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();
  private static final Duration START = Duration.ofSeconds(90);
  private static final Duration WAIT = Duration.ofSeconds(120);

  @TempDir Path dir;

  @Test
  void archiveMatchesTheStoreAndHoldsEveryAcknowledgedWriteOnce(MySqlDatabase db) throws Exception {
    long t0 = System.nanoTime();
    try (PipelineStack stack = PipelineStack.start(dir, KAFKA.bootstrapServers(), db, "kv.changes.pipeline", null,
        START)) {
      MixedWorkload load = new MixedWorkload(stack.client(), MixedWorkload.keys(200), 4, 200);
      load.start();
      Poll.until("200 acknowledged writes before the kill", WAIT, () -> load.ackCount() >= 200);
      String leader = stack.cluster().awaitLeader(PipelineStack.GROUP, START);
      stack.cluster().kill9(leader);
      int atKill = load.ackCount();
      Poll.until("100 acknowledged writes after the kill", WAIT, () -> load.ackCount() >= atKill + 100);
      stack.cluster().restart(leader, START);
      load.join();
      double writeSeconds = (System.nanoTime() - t0) / 1e9;
      Poll.until("the pipeline to be idle (outbox empty, every partition archived)", WAIT, Duration.ofMillis(250),
          () -> stack.idle(db));

      assertThat(ArchiveContents.current(db)).as("kv_current vs the store's records")
          .isEqualTo(ArchiveContents.store(stack.client()));

      List<Row> rows = ArchiveContents.changelog(db);
      assertThat(rows).allSatisfy(r -> {
        assertThat(r.group()).isEqualTo(PipelineStack.GROUP);
        assertThat(r.origin()).isEqualTo("client");
      });
      // Group commit puts concurrent writes in one entry: the identity is (group, log index, seq).
      assertThat(rows.stream().map(r -> r.group() + "/" + r.logIndex() + "." + r.seq()).distinct().count())
          .as("unique (group, log_index, seq)").isEqualTo(rows.size());

      Map<String, List<Row>> byKeyVersion = new HashMap<>();
      rows.forEach(r -> byKeyVersion.computeIfAbsent(r.key() + "@" + r.version(), x -> new java.util.ArrayList<>())
          .add(r));
      List<Ack> acks = load.acks();
      Set<String> acked = new HashSet<>();
      for (Ack a : acks) {
        String id = a.key() + "@" + a.version();
        assertThat(acked.add(id)).as("two acknowledgements with one version: %s", id).isTrue();
        List<Row> matching = byKeyVersion.getOrDefault(id, List.of());
        assertThat(matching).as("changelog rows of acknowledged write %s", id).hasSize(1);
        Row row = matching.get(0);
        assertThat(row.op()).as("op of %s", id).isIn(a.value() == null ? List.of("d") : List.of("c", "u"));
        assertThat(Arrays.equals(row.value(), a.value())).as("value of %s", id).isTrue();
      }

      int lostAcks = explainUnacknowledged(rows, acked, load.uncertain());
      System.out.printf("full-pipeline: %d attempts, %d acknowledged, %d refused (version mismatch), %d uncertain; "
              + "%d changelog rows, %d of them committed writes whose ack was lost in the kill (%s killed); "
              + "start + writes %.1f s, total %.1f s%n",
          load.attempts(), acks.size(), load.refused(), load.uncertain().size(), rows.size(), lostAcks, leader,
          writeSeconds, (System.nanoTime() - t0) / 1e9);
    }
  }

  /**
   * Each row no acknowledgement accounts for must be an attempt whose outcome was unknown (its client saw the leader
   * die): a put is traced by the attempt id its value starts with, a delete by its key. Returns how many there were.
   */
  private static int explainUnacknowledged(List<Row> rows, Set<String> acked, List<Uncertain> uncertain) {
    Map<String, byte[]> uncertainPuts = new HashMap<>();
    Map<String, Integer> uncertainDeletes = new HashMap<>();
    for (Uncertain u : uncertain) {
      if (u.value() == null) {
        uncertainDeletes.merge(u.key(), 1, Integer::sum);
      } else {
        uncertainPuts.put(u.key() + "#" + MixedWorkload.attemptOf(u.value()), u.value());
      }
    }
    int count = 0;
    for (Row r : rows) {
      if (acked.contains(r.key() + "@" + r.version())) {
        continue;
      }
      count++;
      if (r.value() == null) {
        int left = uncertainDeletes.merge(r.key(), -1, Integer::sum);
        assertThat(left).as("delete of %s@%d: nobody's unacknowledged delete", r.key(), r.version())
            .isGreaterThanOrEqualTo(0);
      } else {
        byte[] attempted = uncertainPuts.remove(r.key() + "#" + MixedWorkload.attemptOf(r.value()));
        assertThat(attempted).as("put of %s@%d: not an unacknowledged attempt", r.key(), r.version()).isNotNull();
        assertThat(Arrays.equals(attempted, r.value())).as("value of %s@%d", r.key(), r.version()).isTrue();
      }
    }
    return count;
  }
}
