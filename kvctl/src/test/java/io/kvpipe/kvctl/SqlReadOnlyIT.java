package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.consumer.SchemaMigrator;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code kvctl sql} against a real MariaDB/MySQL: read-only means nothing in the archive changes, whatever is typed. */
@ExtendWith(MySqlExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SqlReadOnlyIT {
  private MySqlDatabase db;

  @BeforeAll
  void schema(MySqlDatabase db) throws Exception {
    this.db = db;
    SchemaMigrator.migrate(dataSource(db));
  }

  @org.junit.jupiter.api.BeforeEach
  void oneRow() throws Exception {
    if (rows("kv_changelog") == 0) {
      try (Connection c = db.connect(); Statement s = c.createStatement()) {
        s.execute("INSERT INTO kv_changelog (group_id, log_index, op, kv_key, kv_value, version, term, epoch, origin,"
            + " event_time, consumed_at) VALUES ('g1', 1, 'c', 'k', 'v', 1, 1, 1, 'client', NOW(3), NOW(3))");
      }
    }
  }

  static javax.sql.DataSource dataSource(MySqlDatabase db) {
    com.mysql.cj.jdbc.MysqlDataSource ds = new com.mysql.cj.jdbc.MysqlDataSource();
    ds.setUrl(db.jdbcUrl());
    ds.setUser(db.user());
    ds.setPassword(db.password() == null ? "" : db.password());
    return ds;
  }

  static String[] mysqlArgs(MySqlDatabase db, String user, String password) {
    Matcher m = Pattern.compile("^jdbc:(?:mysql|mariadb)://([^:/]+):(\\d+)/").matcher(db.jdbcUrl());
    assertThat(m.find()).as(db.jdbcUrl()).isTrue();
    List<String> args = new ArrayList<>(List.of("--mysql-host", m.group(1), "--mysql-port", m.group(2),
        "--mysql-database", db.name(), "--mysql-user", user));
    args.add("--mysql-password");
    args.add(password == null ? "" : password);
    return args.toArray(String[]::new);
  }

  private long rows(String table) throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private KvctlRun sql(String text) {
    List<String> args = new ArrayList<>(List.of("sql", text));
    args.addAll(List.of(mysqlArgs(db, db.user(), db.password())));
    return KvctlRun.of(args.toArray(String[]::new));
  }

  /** Ways around a read-only session: the driver's own check stops plain DML, not these. */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {
      "COMMIT; SET SESSION TRANSACTION READ WRITE; DELETE FROM kv_changelog; COMMIT",
      "COMMIT; SET SESSION TRANSACTION READ WRITE; PREPARE s FROM 'DELETE FROM kv_changelog'; EXECUTE s; COMMIT",
      "COMMIT; SET SESSION TRANSACTION READ WRITE; SET @q = 'DELETE FROM kv_changelog'; PREPARE s FROM @q;"
          + " EXECUTE s; COMMIT",
      "SET autocommit = 1; SET SESSION transaction_read_only = 0; PREPARE s FROM 'DELETE FROM kv_changelog';"
          + " EXECUTE s",
      "/*!40101 SET SESSION TRANSACTION READ WRITE */; COMMIT; PREPARE s FROM 'DELETE FROM kv_changelog';"
          + " EXECUTE s; COMMIT"})
  void aCommitAndASessionSwitchDoNotMakeItWritable(String attack) throws Exception {
    assertThat(rows("kv_changelog")).isEqualTo(1);
    KvctlRun r = sql(attack);
    assertThat(rows("kv_changelog")).as("rows after: " + r.out() + r.err()).isEqualTo(1);
    assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).contains("refused");
  }

  @Test
  void selectsAndUserVariablesStillWork() throws Exception {
    KvctlRun r = sql("SET @k = 'k'; SELECT op, CONVERT(kv_value USING utf8mb4) AS v FROM kv_changelog"
        + " WHERE kv_key = @k");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("v");
  }

  @Test
  void driverPropertiesFromAFileReachTheConnection(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path props = java.nio.file.Files.writeString(dir.resolve("mysql.properties"),
        "sessionVariables=wait_timeout=1234\nconnectTimeout=3000\n");
    List<String> args = new ArrayList<>(List.of("sql", "--tsv", "SELECT @@wait_timeout", "--mysql-properties",
        props.toString()));
    args.addAll(List.of(mysqlArgs(db, db.user(), db.password())));
    KvctlRun r = KvctlRun.of(args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out().strip()).isEqualTo("1234");
  }
}
