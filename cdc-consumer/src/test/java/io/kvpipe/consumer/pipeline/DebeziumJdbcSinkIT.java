package io.kvpipe.consumer.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.connect.KafkaConnect;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14's proof with a real peer: a 3-replica group publishing format 2 with Connect schemas and tombstones, and a
 * stock Kafka Connect worker running the stock Debezium JDBC sink ({@code insert.mode=upsert},
 * {@code delete.enabled=true}, key from the record key) on kvpipe's topic, unchanged. After a workload of creates,
 * updates and deletes, the sink's table equals kv_current's live rows (key, value, version). A second sink with
 * Debezium's {@code ExtractNewRecordState} transform shows the flat row: its table gets exactly the row's columns,
 * with the same contents.
 */
@ExtendWith(MySqlExtension.class)
class DebeziumJdbcSinkIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();
  private static final Duration START = Duration.ofSeconds(120);
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final List<String> ROW_COLUMNS = List.of("kv_key", "kv_value", "version", "group_id", "log_index");

  @TempDir Path dir;

  @Test
  void debeziumJdbcSinkMirrorsTheLiveRowsAndExtractNewRecordStateYieldsTheFlatRow(MySqlDatabase db) throws Exception {
    String topic = "kv.changes.dbz";
    try (PipelineStack stack = PipelineStack.start(dir.resolve("nodes"), KAFKA.bootstrapServers(), db, topic, null,
        List.of("--cdc-schemas", "true", "--cluster-name", "it"), START)) {
      // The archive's schema first (Flyway wants an empty database), then the sinks' tables. Keys differ in case only
      // and in Unicode normal form, and reach 512 bytes: the key column is made by hand, binary (as kvpipe compares
      // keys). kv_sink gets all its columns by hand; kv_flat only its key: the sink adds the others from the flat
      // row's schema (schema.evolution=basic), which shows what ExtractNewRecordState yields.
      Poll.until("the archive's schema", START, Duration.ofMillis(250), () -> {
        stack.checkArchiveRunning();
        return tableExists(db, "kv_current");
      });
      String key = "kv_key VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY";
      execute(db, "CREATE TABLE kv_sink (" + key + ", kv_value LONGBLOB NULL, version BIGINT NULL,"
          + " group_id VARCHAR(63) NULL, log_index BIGINT NULL)");
      execute(db, "CREATE TABLE kv_flat (" + key + ")");
      try (KafkaConnect connect = KafkaConnect.start(dir.resolve("connect"), KAFKA.bootstrapServers(), Map.of(
          "kv-sink", sink(db, topic, "kv_sink", Map.of("schema.evolution", "none")),
          "kv-flat", sink(db, topic, "kv_flat", Map.of(
              "schema.evolution", "basic",
              "transforms", "unwrap",
              "transforms.unwrap.type", KafkaConnect.EXTRACT_NEW_RECORD_STATE))), START)) {
        mirror(db, stack, connect);
      }
    }
  }

  private static void mirror(MySqlDatabase db, PipelineStack stack, KafkaConnect connect) throws Exception {
    MixedWorkload load = new MixedWorkload(stack.client(), MixedWorkload.keys(60), 4, 120);
    load.start();
    load.join();
    Poll.until("the pipeline to be idle", WAIT, Duration.ofMillis(250), () -> stack.idle(db));
    Map<String, String> live = liveRows(db);
    assertThat(load.acks().stream().filter(a -> a.value() == null).count()).as("acknowledged deletes")
        .isGreaterThan(20);
    assertThat(live).as("live keys").hasSizeGreaterThan(20);

    for (String table : List.of("kv_sink", "kv_flat")) {
      try {
        Poll.until(table + " to equal kv_current's live rows", WAIT, Duration.ofMillis(500), () -> {
          connect.running("kv-sink"); // a failed task ends the wait with its trace
          connect.running("kv-flat");
          return table(db, table).equals(live);
        });
      } catch (AssertionError timedOut) {
        assertThat(table(db, table)).as("%s (%s)", table, showCreate(db, table)).isEqualTo(live); // shows the diff
        throw timedOut;
      }
    }
    connect.assertHealthy("kv-sink");
    connect.assertHealthy("kv-flat");
    assertThat(table(db, "kv_sink")).isEqualTo(live);
    assertThat(table(db, "kv_flat")).isEqualTo(live);
    assertThat(columns(db, "kv_flat")).as("kv_key and the columns the sink added for the flat row")
        .containsExactlyInAnyOrderElementsOf(ROW_COLUMNS);
    assertThat(count(db, "SELECT COUNT(*) FROM kv_flat f JOIN kv_current c ON c.kv_key = CAST(f.kv_key AS BINARY)"
        + " WHERE f.group_id = c.group_id AND f.log_index = c.log_index")).as("group and log index of each row")
        .isEqualTo(live.size());
    System.out.printf("debezium-jdbc-sink: %d acknowledged writes, %d live rows mirrored by both sinks%n",
        load.acks().size(), live.size());
  }

  private static Map<String, String> sink(MySqlDatabase db, String topic, String table, Map<String, String> extra) {
    Map<String, String> c = new TreeMap<>(Map.of(
        "connector.class", KafkaConnect.JDBC_SINK,
        "tasks.max", "1",
        "topics", topic,
        "connection.url", db.jdbcUrl(),
        "connection.username", db.user(),
        "connection.password", db.password(),
        "insert.mode", "upsert",
        "delete.enabled", "true",
        "primary.key.mode", "record_key",
        "collection.name.format", table));
    c.putAll(extra);
    return c;
  }

  /** kv_current's live rows, key → value digest and version (as {@link ArchiveContents#describe}). */
  private static Map<String, String> liveRows(MySqlDatabase db) throws SQLException {
    Map<String, String> all = ArchiveContents.current(db);
    all.values().removeIf(v -> v.endsWith(" deleted"));
    return all;
  }

  private static boolean tableExists(MySqlDatabase db, String table) {
    try (Connection c = db.connect(); ResultSet rs = c.getMetaData().getTables(db.name(), null, table, null)) {
      return rs.next();
    } catch (SQLException notYet) {
      return false;
    }
  }

  /** The sink table as key → value digest and version; empty while the sink has not created it yet. */
  private static Map<String, String> table(MySqlDatabase db, String table) {
    Map<String, String> m = new TreeMap<>();
    if (!tableExists(db, table)) {
      return m;
    }
    try (Connection c = db.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT kv_key, kv_value, version FROM " + table)) {
      while (rs.next()) {
        m.put(new String(rs.getBytes(1), StandardCharsets.UTF_8), ArchiveContents.describe(rs.getBytes(2),
            rs.getLong(3)));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return m;
  }

  private static String showCreate(MySqlDatabase db, String table) throws SQLException {
    try (Connection c = db.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SHOW CREATE TABLE " + table)) {
      return rs.next() ? rs.getString(2) : "(no table)";
    }
  }

  private static List<String> columns(MySqlDatabase db, String table) throws SQLException {
    List<String> names = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT * FROM " + table + " LIMIT 0")) {
      ResultSetMetaData md = rs.getMetaData();
      for (int i = 1; i <= md.getColumnCount(); i++) {
        names.add(md.getColumnName(i));
      }
    }
    return names;
  }

  private static long count(MySqlDatabase db, String sql) throws SQLException {
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void execute(MySqlDatabase db, String sql) throws SQLException {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
