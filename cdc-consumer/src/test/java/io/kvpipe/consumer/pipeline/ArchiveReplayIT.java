package io.kvpipe.consumer.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.consumer.ArchiveService;
import io.kvpipe.consumer.ConsumerConfig;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlExtension;
import io.kvpipe.testsupport.mysql.MySqlServers;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive rebuilt from the change topic, as docs/operations.md tells an operator to do it: a consumer with a new
 * group id pointed at an empty database replays the topic from its earliest offset and ends with kv_changelog and
 * kv_current equal to the original archive's (every column but the consumer's own timestamps and row ids). And when
 * retention has already deleted the old records, a snapshot's op=r events (kvctl snapshot-to-kafka) rebuild
 * kv_current's live keys from what is left.
 */
@ExtendWith(MySqlExtension.class)
class ArchiveReplayIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();
  private static final Duration START = Duration.ofSeconds(90);
  private static final Duration WAIT = Duration.ofSeconds(180);
  private static final String TOPIC = "kv.changes.replay";

  @TempDir Path dir;

  @Test
  void aFreshConsumerRebuildsTheArchiveFromTheTopic(MySqlDatabase original) throws Exception {
    try (PipelineStack stack = PipelineStack.start(dir, KAFKA.bootstrapServers(), original, TOPIC, null, START)) {
      MixedWorkload load = new MixedWorkload(stack.client(), MixedWorkload.keys(150), 4, 150);
      load.start();
      load.join();
      Poll.until("the original archive to be idle", WAIT, Duration.ofMillis(250), () -> stack.idle(original));
      List<String> changelog = changelog(original);
      Map<String, String> current = current(original);
      assertThat(changelog).hasSizeGreaterThan(300);
      assertThat(current.values()).anyMatch(r -> r.contains("deleted=1"));

      // 1. Replay from the earliest offset into an empty database with a new consumer group.
      try (MySqlDatabase rebuilt = MySqlDatabase.create(MySqlServers.shared(), "replay")) {
        runUntilCaughtUp(rebuilt, "archive-rebuild-1", endOffsets());
        assertThat(changelog(rebuilt)).as("kv_changelog rebuilt").isEqualTo(changelog);
        assertThat(current(rebuilt)).as("kv_current rebuilt").isEqualTo(current);
      }

      // 2. Retention took the history: the snapshot's r events are what a rebuild has left.
      Map<TopicPartition, Long> beforeSnapshot = endOffsets();
      long snapshotIndex = stack.client().publishSnapshot().logIndex();
      Poll.until("the snapshot archived", WAIT, Duration.ofMillis(250), () -> stack.idle(original));
      deleteRecordsBefore(beforeSnapshot);
      try (MySqlDatabase rebuilt = MySqlDatabase.create(MySqlServers.shared(), "replay_snapshot")) {
        runUntilCaughtUp(rebuilt, "archive-rebuild-2", endOffsets());
        Map<String, String> live = new TreeMap<>();
        current(original).forEach((k, v) -> {
          if (!v.contains("deleted=1")) {
            live.put(k, v.replaceAll(" log_index=\\d+", ""));
          }
        });
        Map<String, String> fromSnapshot = new TreeMap<>();
        current(rebuilt).forEach((k, v) -> fromSnapshot.put(k, v.replaceAll(" log_index=\\d+", "")));
        assertThat(fromSnapshot).as("live keys rebuilt from the snapshot's r events").isEqualTo(live);
        assertThat(changelog(rebuilt)).isNotEmpty()
            .allMatch(r -> r.contains(" op=r ") && r.contains("origin=snapshot") && r.contains("@" + snapshotIndex + "."));
      }
    }
  }

  /** Runs a new consumer (group {@code group}) on {@code db} until its stored offsets reach {@code end}, then stops it. */
  private static void runUntilCaughtUp(MySqlDatabase db, String group, Map<TopicPartition, Long> end) throws Exception {
    ArchiveService service = new ArchiveService(ConsumerConfig.parse(new String[] {
        "--kafka-bootstrap", KAFKA.bootstrapServers(), "--topic", TOPIC, "--dlq-topic", TOPIC + ".dlq",
        "--group-id", group, "--jdbc-url", db.jdbcUrl(), "--jdbc-user", db.user(), "--jdbc-password", db.password(),
        "--metrics-port", "0", "--max-backoff-ms", "1000"}, Map.of()));
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread.ofPlatform().name("archive-" + group).start(() -> {
      try (service) {
        service.run();
        done.complete(null);
      } catch (Throwable e) {
        done.completeExceptionally(e);
      }
    });
    long target = end.values().stream().mapToLong(Long::longValue).sum();
    try {
      Poll.until(group + " to archive up to the topic's end", WAIT, Duration.ofMillis(250), () -> {
        if (done.isDone()) {
          throw new Poll.Abort("the consumer stopped: " + done.handle((ok, e) -> String.valueOf(e)).join());
        }
        return storedOffsets(db, group) == target;
      });
    } finally {
      service.stop();
      done.get(60, TimeUnit.SECONDS);
    }
  }

  private static long storedOffsets(MySqlDatabase db, String group) {
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT COALESCE(SUM(next_offset), 0) FROM kv_consumer_offsets WHERE consumer_group = '" + group + "'")) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException notYet) {
      return -1; // schema not migrated yet
    }
  }

  private static Map<TopicPartition, Long> endOffsets() {
    try (KafkaConsumer<byte[], byte[]> probe = new KafkaConsumer<>(Map.of("bootstrap.servers",
        KAFKA.bootstrapServers()), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (int p = 0; p < PipelineStack.PARTITIONS; p++) {
        parts.add(new TopicPartition(TOPIC, p));
      }
      return probe.endOffsets(parts, Duration.ofSeconds(30));
    }
  }

  /** What retention would do: the records before {@code offsets} are gone from the topic. */
  private static void deleteRecordsBefore(Map<TopicPartition, Long> offsets) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
      Map<TopicPartition, RecordsToDelete> del = new HashMap<>();
      offsets.forEach((tp, o) -> del.put(tp, RecordsToDelete.beforeOffset(o)));
      admin.deleteRecords(del).all().get(60, TimeUnit.SECONDS);
    }
  }

  /** Every kv_changelog row but its id and consumed_at, in identity order. */
  static List<String> changelog(MySqlDatabase db) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT group_id, log_index, event_seq, op, kv_key, kv_value, prev_value, version, term, epoch, origin,"
            + " event_time FROM kv_changelog ORDER BY group_id, log_index, event_seq")) {
      while (rs.next()) {
        rows.add(rs.getString(1) + "@" + rs.getLong(2) + "." + rs.getInt(3) + " op=" + rs.getString(4) + " key="
            + hex(rs.getBytes(5)) + " value=" + hex(rs.getBytes(6)) + " prev=" + hex(rs.getBytes(7)) + " v="
            + rs.getLong(8) + " term=" + rs.getLong(9) + " epoch=" + rs.getLong(10) + " origin=" + rs.getString(11)
            + " at=" + rs.getString(12));
      }
    }
    return rows;
  }

  /** Every kv_current row but updated_at, by key. */
  static Map<String, String> current(MySqlDatabase db) throws SQLException {
    Map<String, String> m = new TreeMap<>();
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT kv_key, kv_value, deleted, group_id, log_index, version FROM kv_current")) {
      while (rs.next()) {
        m.put(hex(rs.getBytes(1)), "value=" + hex(rs.getBytes(2)) + " deleted=" + rs.getInt(3) + " group="
            + rs.getString(4) + " log_index=" + rs.getLong(5) + " v=" + rs.getLong(6));
      }
    }
    return m;
  }

  private static String hex(byte[] b) {
    return b == null ? "null" : HexFormat.of().formatHex(b);
  }
}
