package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import io.kvpipe.consumer.ArchiveBatch;
import io.kvpipe.consumer.ArchiveDataSource;
import io.kvpipe.consumer.ArchiveEvent;
import io.kvpipe.consumer.ArchiveWriter;
import io.kvpipe.consumer.OffsetStore;
import io.kvpipe.consumer.SchemaMigrator;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The archive's accounts on a real MariaDB/MySQL, made by {@code kvctl archive-accounts} as the dev stack and compose
 * make them: the auditor can only read, the writer archives (the consumer's real writer) but cannot change or delete
 * an archived kv_changelog row, and nobody can, not even the schema's owner through DML.
 */
@ExtendWith(MySqlExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArchiveAccountsIT {
  private static final TopicPartition P0 = new TopicPartition("kv.changes", 0);

  private MySqlDatabase db;
  private final String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
  private final String writer = "kvt_w_" + suffix;
  private final String auditor = "kvt_a_" + suffix;
  private final String writerPassword = "writer-pw-" + suffix + "-Xy1";
  private final String auditorPassword = "auditor-pw-" + suffix + "-Xy1";

  @BeforeAll
  void setUp(MySqlDatabase db, @TempDir Path dir) throws Exception {
    this.db = db;
    SchemaMigrator.migrate(db.jdbcUrl(), db.user(), db.password() == null ? "" : db.password());
    Path wf = Files.writeString(dir.resolve("writer"), writerPassword + "\n");
    Path af = Files.writeString(dir.resolve("auditor"), auditorPassword + "\n");
    List<String> args = new ArrayList<>(List.of("archive-accounts", "--writer-user", writer, "--writer-password-file",
        wf.toString(), "--auditor-user", auditor, "--auditor-password-file", af.toString()));
    args.addAll(List.of(SqlReadOnlyIT.mysqlArgs(db, db.user(), db.password())));
    KvctlRun r = KvctlRun.of(args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out() + r.err()).doesNotContain(writerPassword).doesNotContain(auditorPassword);
    // Idempotent: the dev stack runs it at every start.
    assertThat(KvctlRun.of(args.toArray(String[]::new)).exitCode()).isZero();
  }

  @AfterAll
  void dropAccounts() throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("DROP USER IF EXISTS '" + writer + "'@'%', '" + auditor + "'@'%'");
    }
  }

  private Connection as(String user, String password) throws SQLException {
    return DriverManager.getConnection(db.jdbcUrl(), user, password);
  }

  private static ChangeEvent set(long index, String key, String value, long version) {
    return new ChangeEvent(Op.UPDATE, key, null, value.getBytes(StandardCharsets.UTF_8), 1_767_225_600_000L + index,
        "g1", index, 1, 1, version, Origin.CLIENT);
  }

  private static ArchiveBatch batch(long nextOffset, ChangeEvent... events) {
    List<ArchiveEvent> list = new ArrayList<>();
    for (ChangeEvent e : events) {
      list.add(new ArchiveEvent(e, e.key().getBytes(StandardCharsets.UTF_8)));
    }
    return new ArchiveBatch(list, List.of(), Map.of(P0, nextOffset));
  }

  private long count(String sql) throws SQLException {
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void theWriterArchivesWithTheConsumersOwnWriterAndRedeliveriesStillPass() throws Exception {
    try (HikariDataSource ds = ArchiveDataSource.create(db.jdbcUrl(), writer, writerPassword, 2)) {
      ArchiveWriter w = new ArchiveWriter(ds, new OffsetStore(ds, "g-accounts"), 10);
      w.write(batch(2, set(101, "acct-a", "one", 101), set(102, "acct-b", "two", 102)));
      // A redelivered batch: the duplicate-tolerant insert fires the UPDATE trigger with an unchanged row.
      w.write(batch(2, set(101, "acct-a", "one", 101), set(102, "acct-b", "two", 102)));
      w.write(batch(3, set(103, "acct-a", "three", 103)));
    }
    assertThat(count("SELECT COUNT(*) FROM kv_changelog WHERE log_index IN (101, 102, 103)")).isEqualTo(3);
    assertThat(count("SELECT COUNT(*) FROM kv_current WHERE kv_key = 'acct-a' AND version = 103")).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "UPDATE kv_changelog SET kv_value = 'forged'",
      "UPDATE kv_changelog SET consumed_at = NOW(3)",
      "INSERT INTO kv_changelog (group_id, log_index, op, kv_key, kv_value, version, term, epoch, origin, event_time,"
          + " consumed_at) SELECT group_id, log_index, op, kv_key, kv_value, version, term, epoch, origin, event_time,"
          + " consumed_at FROM kv_changelog LIMIT 1 ON DUPLICATE KEY UPDATE kv_value = 'forged'",
      "DELETE FROM kv_changelog",
      "TRUNCATE TABLE kv_changelog",
      "DROP TRIGGER kv_changelog_no_delete",
      "ALTER TABLE kv_changelog DROP COLUMN prev_value",
      "DROP TABLE kv_changelog",
      "CREATE TABLE kv_extra (a INT)",
      "DELETE FROM kv_current"})
  void theWriterCannotRewriteTheChangelogNorChangeTheSchema(String sql) throws Exception {
    ensureRow();
    long before = count("SELECT COUNT(*) FROM kv_changelog");
    String digest = digest();
    try (Connection c = as(writer, writerPassword); Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.execute(sql)).as(sql).isInstanceOf(SQLException.class);
    }
    assertThat(count("SELECT COUNT(*) FROM kv_changelog")).isEqualTo(before);
    assertThat(digest()).isEqualTo(digest);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "UPDATE kv_changelog SET kv_value = 'forged'",
      "DELETE FROM kv_changelog",
      "INSERT INTO kv_current (kv_key, kv_value, deleted, group_id, log_index, event_time, updated_at, version)"
          + " VALUES ('x', 'y', 0, 'g1', 1, NOW(3), NOW(3), 1)",
      "UPDATE kv_current SET deleted = 1",
      "DELETE FROM kv_consumer_offsets",
      "TRUNCATE TABLE kv_changelog",
      "CREATE TABLE kv_extra (a INT)",
      "DROP TABLE kv_current",
      "ALTER TABLE kv_changelog ADD COLUMN note INT",
      "DROP TRIGGER kv_changelog_no_update",
      "CREATE VIEW kv_mine AS SELECT 1",
      "GRANT SELECT ON *.* TO CURRENT_USER()"})
  void theAuditorIsRefusedEveryWriteAndEveryDdl(String sql) throws Exception {
    ensureRow();
    long before = count("SELECT COUNT(*) FROM kv_changelog");
    String digest = digest();
    try (Connection c = as(auditor, auditorPassword); Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.execute(sql)).as(sql).isInstanceOf(SQLException.class);
    }
    assertThat(count("SELECT COUNT(*) FROM kv_changelog")).isEqualTo(before);
    assertThat(digest()).isEqualTo(digest);
  }

  @Test
  void theAuditorReadsAndTheReadOnlyBypassFailsAtTheServer() throws Exception {
    ensureRow();
    try (Connection c = as(auditor, auditorPassword); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM kv_history")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getLong(1)).isPositive();
      }
      // What kvctl sql refuses client-side, the server refuses too: a session switched to read-write gains nothing.
      s.execute("SET SESSION TRANSACTION READ WRITE");
      assertThatThrownBy(() -> {
        s.execute("PREPARE p FROM 'DELETE FROM kv_changelog'");
        s.execute("EXECUTE p");
      }).isInstanceOf(SQLException.class).hasMessageContaining("denied");
    }
    // kvctl sql as the auditor: reads work.
    List<String> args = new ArrayList<>(List.of("sql", "SELECT COUNT(*) AS n FROM kv_changelog"));
    args.addAll(List.of(SqlReadOnlyIT.mysqlArgs(db, auditor, auditorPassword)));
    KvctlRun r = KvctlRun.of(args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.err()).isZero();
  }

  @Test
  void evenTheOwnerCannotUpdateOrDeleteAnArchivedRow() throws Exception {
    ensureRow();
    String digest = digest();
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.execute("DELETE FROM kv_changelog")).hasMessageContaining("append-only");
      assertThatThrownBy(() -> s.execute("UPDATE kv_changelog SET kv_value = 'forged'"))
          .hasMessageContaining("append-only");
      // Unchanged rows pass (the consumer's duplicate-tolerant insert relies on it).
      s.execute("UPDATE kv_changelog SET id = id");
    }
    assertThat(digest()).isEqualTo(digest);
  }

  @Test
  void badPasswordFilesAreClearErrorsAndChangeNothing(@TempDir Path dir) throws Exception {
    Path weak = Files.writeString(dir.resolve("weak"), "short\n");
    Path quote = Files.writeString(dir.resolve("quote"), "a-long-password-with-'quote\n");
    Path good = Files.writeString(dir.resolve("good"), "a-long-enough-password\n");
    for (Path bad : List.of(weak, quote, dir.resolve("missing"))) {
      List<String> args = new ArrayList<>(List.of("archive-accounts", "--writer-user", writer,
          "--writer-password-file", bad.toString(), "--auditor-user", auditor, "--auditor-password-file",
          good.toString()));
      args.addAll(List.of(SqlReadOnlyIT.mysqlArgs(db, db.user(), db.password())));
      KvctlRun r = KvctlRun.of(args.toArray(String[]::new));
      assertThat(r.exitCode()).as(bad + ": " + r.err()).isEqualTo(ExitCodes.USAGE);
    }
    // The old passwords still work: nothing was changed.
    try (Connection c = as(writer, writerPassword)) {
      assertThat(c.isValid(2)).isTrue();
    }
  }

  private void ensureRow() throws Exception {
    if (count("SELECT COUNT(*) FROM kv_changelog") == 0) {
      try (Connection c = db.connect(); Statement s = c.createStatement()) {
        s.execute("INSERT INTO kv_changelog (group_id, log_index, op, kv_key, kv_value, version, term, epoch, origin,"
            + " event_time, consumed_at) VALUES ('g9', 1, 'c', 'k', 'v', 1, 1, 1, 'client', NOW(3), NOW(3))");
      }
    }
  }

  private String digest() throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("SET SESSION group_concat_max_len = 16777216");
      try (ResultSet rs = s.executeQuery("SELECT GROUP_CONCAT(CONCAT_WS('|', id, group_id, log_index, HEX(kv_key),"
             + " HEX(kv_value), version, consumed_at) ORDER BY id) FROM kv_changelog")) {
        rs.next();
        return String.valueOf(rs.getString(1));
      }
    }
  }
}
