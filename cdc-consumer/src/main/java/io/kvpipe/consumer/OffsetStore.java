package io.kvpipe.consumer;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.common.TopicPartition;

/**
 * The consumed offsets kept in MySQL ({@code kv_consumer_offsets}): the truth the consumer seeks to on assignment.
 * Saved by {@link ArchiveWriter} inside each batch's transaction. Stateless and thread-safe.
 */
public final class OffsetStore {
  private static final MultiRowInsert SAVE = new MultiRowInsert(
      "INSERT INTO kv_consumer_offsets (consumer_group, topic, kafka_partition, next_offset, updated_at) VALUES",
      "(?,?,?,?,UTC_TIMESTAMP(3))",
      "ON DUPLICATE KEY UPDATE next_offset = VALUES(next_offset), updated_at = VALUES(updated_at)");

  private final DataSource dataSource;
  private final String group;

  public OffsetStore(DataSource dataSource, String group) {
    this.dataSource = dataSource;
    this.group = group;
  }

  /** The stored next offsets of these partitions; partitions never archived are absent from the result. */
  public Map<TopicPartition, Long> load(Collection<TopicPartition> partitions) throws SQLException {
    Map<TopicPartition, Long> out = new HashMap<>();
    if (partitions.isEmpty()) {
      return out;
    }
    try (Connection c = dataSource.getConnection();
         PreparedStatement ps = c.prepareStatement(
             "SELECT topic, kafka_partition, next_offset FROM kv_consumer_offsets WHERE consumer_group = ?")) {
      ps.setString(1, group);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          TopicPartition tp = new TopicPartition(rs.getString(1), rs.getInt(2));
          if (partitions.contains(tp)) {
            out.put(tp, rs.getLong(3));
          }
        }
      }
    }
    return out;
  }

  /** Writes the offsets in a transaction of their own (an operator's reset, applied before anything is read). */
  void saveNow(Map<TopicPartition, Long> offsets) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        save(c, offsets);
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /** Writes the offsets on {@code c}, inside the caller's transaction. */
  void save(Connection c, Map<TopicPartition, Long> offsets) throws SQLException {
    if (offsets.isEmpty()) {
      return;
    }
    List<Map.Entry<TopicPartition, Long>> rows = new ArrayList<>(offsets.entrySet());
    try (PreparedStatement ps = c.prepareStatement(SAVE.sql(rows.size()))) {
      int i = 1;
      for (Map.Entry<TopicPartition, Long> e : rows) {
        ps.setString(i++, group);
        ps.setString(i++, e.getKey().topic());
        ps.setInt(i++, e.getKey().partition());
        ps.setLong(i++, e.getValue());
      }
      ps.executeUpdate();
    }
  }
}
