package io.kvpipe.systemtest;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.ChangeEventCodec;
import io.kvpipe.common.event.Origin;
import io.kvpipe.testsupport.check.Op;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The archive against a robustness run's history, once the pipeline is idle: every acknowledged write has exactly one
 * client row in kv_changelog (same key, version, kind and value); every client row of the run's keys is an
 * acknowledged write or one of unknown outcome (a put by its unique value, used once; a delete within the number of
 * unknown deletes of its key): nothing appears that was never written. And on the topic, per key, client events (a
 * redelivered event, same identity, set aside) come in strictly increasing version order.
 */
final class ArchiveVerdict {
  private ArchiveVerdict() {}

  private record Row(String key, long version, String op, String value) {}

  static List<String> changelogMatchesHistory(MySqlDatabase db, List<Op> history, String keyPrefix)
      throws SQLException {
    List<Row> rows = new ArrayList<>();
    try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement(
        "SELECT kv_key, version, op, kv_value FROM kv_changelog WHERE origin = 'client' AND kv_key LIKE ?")) {
      s.setBytes(1, (keyPrefix + "%").getBytes(StandardCharsets.UTF_8));
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          byte[] v = rs.getBytes(4);
          rows.add(new Row(new String(rs.getBytes(1), StandardCharsets.UTF_8), rs.getLong(2), rs.getString(3),
              v == null ? null : new String(v, StandardCharsets.UTF_8)));
        }
      }
    }
    Map<String, List<Row>> byId = new HashMap<>();
    rows.forEach(r -> byId.computeIfAbsent(r.key() + "@" + r.version(), k -> new ArrayList<>()).add(r));
    List<String> out = new ArrayList<>();
    Set<String> acked = new HashSet<>();
    Map<String, Op> unknownPuts = new HashMap<>();
    Map<String, Integer> unknownDeletes = new HashMap<>();
    for (Op op : history) {
      if (!op.write()) {
        continue;
      }
      if (op.outcome() == Op.Outcome.UNKNOWN) {
        if (op.kind() == Op.Kind.PUT) {
          unknownPuts.put(op.key() + "=" + op.value(), op);
        } else {
          unknownDeletes.merge(op.key(), 1, Integer::sum);
        }
        continue;
      }
      if (op.outcome() != Op.Outcome.OK) {
        continue;
      }
      String id = op.key() + "@" + op.version();
      acked.add(id);
      List<Row> found = byId.getOrDefault(id, List.of());
      if (found.size() != 1) {
        out.add("acknowledged " + op.describe() + " has " + found.size() + " client changelog rows");
        continue;
      }
      Row r = found.get(0);
      boolean delete = op.kind() == Op.Kind.DELETE;
      if (delete != r.op().equals("d") || (!delete && !op.value().equals(r.value()))) {
        out.add("acknowledged " + op.describe() + " archived as " + r);
      }
    }
    Set<String> usedPuts = new HashSet<>();
    Map<String, Integer> usedDeletes = new HashMap<>();
    for (Row r : rows) {
      if (acked.contains(r.key() + "@" + r.version())) {
        continue;
      }
      if (r.op().equals("d")) {
        int n = usedDeletes.merge(r.key(), 1, Integer::sum);
        if (n > unknownDeletes.getOrDefault(r.key(), 0)) {
          out.add("changelog delete of " + r.key() + " v" + r.version() + " matches no delete that was sent");
        }
      } else {
        String id = r.key() + "=" + r.value();
        if (!unknownPuts.containsKey(id)) {
          out.add("changelog row " + r + " matches no write that was sent");
        } else if (!usedPuts.add(id)) {
          out.add("changelog holds the put of unknown outcome " + id + " twice");
        }
      }
    }
    return out;
  }

  /** Topic order per key; also returns, as its last line's prefix "stats:", events read and redeliveries. */
  static List<String> topicVersionOrder(String bootstrap, String topic, String keyPrefix) {
    List<String> out = new ArrayList<>();
    Map<String, Long> lastVersion = new HashMap<>();
    Set<String> identities = new HashSet<>();
    long events = 0;
    long redelivered = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
        "enable.auto.commit", "false"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        parts.add(new TopicPartition(topic, p.partition()));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts, Duration.ofSeconds(30));
      long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      while (parts.stream().anyMatch(p -> consumer.position(p, Duration.ofSeconds(30)) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          out.add("could not read the topic to its end within 3 minutes");
          break;
        }
        for (ConsumerRecord<byte[], byte[]> rec : consumer.poll(Duration.ofMillis(500))) {
          if (rec.value() == null) {
            continue;
          }
          ChangeEvent e;
          try {
            e = ChangeEventCodec.decode(rec.value());
          } catch (RuntimeException malformed) {
            out.add("malformed event at " + rec.topic() + "-" + rec.partition() + "@" + rec.offset() + ": "
                + malformed.getMessage());
            continue;
          }
          if (e.origin() != Origin.CLIENT || !e.key().startsWith(keyPrefix)) {
            continue;
          }
          events++;
          if (!identities.add(e.group() + "/" + e.logIndex() + "/" + e.seq())) {
            redelivered++;
            continue;
          }
          Long prev = lastVersion.put(e.key(), e.version());
          if (prev != null && prev >= e.version()) {
            out.add("topic: " + e.key() + " v" + e.version() + " (" + e.group() + "/" + e.logIndex() + ") after v"
                + prev);
          }
        }
      }
    }
    out.add("stats: " + events + " client events of the run's keys on the topic, " + redelivered + " redelivered");
    return out;
  }
}
