package io.kvpipe.consumer;

import static io.kvpipe.consumer.Events.archive;
import static io.kvpipe.consumer.Events.b;
import static io.kvpipe.consumer.Events.delete;
import static io.kvpipe.consumer.Events.set;
import static io.kvpipe.consumer.Events.snapshotRead;
import static io.kvpipe.consumer.Events.withOrigin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The writer against a real MySQL-compatible server: idempotence, version guard, atomicity, byte-exact keys. */
@ExtendWith(MySqlExtension.class)
class ArchiveWriterIT {
  private static final TopicPartition P0 = new TopicPartition("kv.changes", 0);
  private static HikariDataSource ds;
  private static ArchiveWriter writer;
  private static OffsetStore offsets;

  @BeforeAll
  static void setUp(MySqlDatabase db) {
    ds = ArchiveDataSource.create(db.jdbcUrl(), db.user(), db.password(), 2, Map.of(), true);
    assertThat(SchemaMigrator.migrate(ds)).isGreaterThanOrEqualTo(3);
    assertThat(SchemaMigrator.migrate(ds)).isZero();
    offsets = new OffsetStore(ds, "g-test");
    // Loading the changelog: the INSERT path is what a refused or unclean load falls back to, so both get exercised.
    writer = new ArchiveWriter(ds, offsets, 3, true); // tiny statements so every test spans several
  }

  @AfterAll
  static void tearDown() {
    ds.close();
  }

  @BeforeEach
  void clean() throws SQLException {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      for (String t : List.of("kv_changelog", "kv_current", "kv_dead_letter", "kv_consumer_offsets")) {
        // TRUNCATE: kv_changelog refuses DELETE (append-only, V4); emptying a test table is the owner's DDL.
        s.execute("TRUNCATE TABLE " + t);
      }
      c.commit();
    }
  }

  private static void write(long nextOffset, ChangeEvent... events) throws SQLException {
    writer.write(new ArchiveBatch(Arrays.stream(events).map(Events::archive).toList(), List.of(),
        Map.of(P0, nextOffset)));
  }

  @Test
  void duplicatesAndReplayedBatchesLeaveOneChangelogRowPerIdentity() throws SQLException {
    ChangeEvent a = set("g1", 1, "a", "1", 10);
    ChangeEvent b = set("g1", 2, "b", "2", 11);
    ChangeEvent c = set("g2", 1, "a", "3", 20); // same log index, other group: a distinct event
    write(3, a, b, a, c, b);
    write(3, a, b, c);
    write(5, c, set("g1", 3, "c", "4", 12), a);
    assertThat(count("SELECT COUNT(*) FROM kv_changelog")).isEqualTo(4);
    assertThat(count("SELECT COUNT(DISTINCT group_id, log_index) FROM kv_changelog")).isEqualTo(4);
    assertThat(current("a")).isEqualTo(new Row("3", false, 20));
    assertThat(offsets.load(List.of(P0))).containsEntry(P0, 5L);
  }

  @Test
  void outOfOrderVersionsAndLateSetsAfterADeleteEndAtTheNewestVersion() throws SQLException {
    write(1, set("g1", 5, "k", "v5", 5), set("g1", 3, "k", "v3", 3)); // newer first, within one batch
    assertThat(current("k")).isEqualTo(new Row("v5", false, 5));
    write(2, set("g1", 4, "k", "v4", 4));                              // older, in a later batch
    assertThat(current("k")).isEqualTo(new Row("v5", false, 5));
    write(3, delete("g1", 7, "k", 7));
    write(4, set("g1", 6, "k", "v6", 6), set("g1", 2, "k", "v2", 2));   // late sets older than the delete
    assertThat(current("k")).isEqualTo(new Row(null, true, 7));
    write(5, set("g1", 9, "k", "v9", 9));                              // a newer set revives it
    assertThat(current("k")).isEqualTo(new Row("v9", false, 9));
    assertThat(count("SELECT COUNT(*) FROM kv_changelog WHERE kv_key = 'k'")).isEqualTo(7);
  }

  @Test
  void anExpiryDeletesTheKeyInKvCurrentAndKeepsItsOriginInTheChangelog() throws SQLException {
    write(1, set("g1", 1, "session", "token", 10));
    ChangeEvent expiry = new ChangeEvent(Op.DELETE, "session", b("token"), null, Events.T0 + 2, "g1", 2, 1, 1, 11,
        Origin.EXPIRY);
    write(2, expiry);
    assertThat(current("session")).isEqualTo(new Row(null, true, 11));
    assertThat(count("SELECT COUNT(*) FROM kv_changelog WHERE origin = 'expiry' AND op = 'd'")).isEqualTo(1);
    write(2, expiry); // republished: still one row
    assertThat(count("SELECT COUNT(*) FROM kv_changelog WHERE origin = 'expiry'")).isEqualTo(1);
  }

  @Test
  void migrationEventsAreHistoryOnlyAndSnapshotsObeyTheVersionGuard() throws SQLException {
    write(1, set("g1", 1, "m", "client", 10));
    ChangeEvent move = withOrigin(set("g2", 1, "m", "moved", 30), Op.CREATE, Origin.MIGRATION);
    ChangeEvent moveDelete = withOrigin(delete("g1", 2, "m", 31), Op.DELETE, Origin.MIGRATION);
    ChangeEvent moveOfUnknown = withOrigin(set("g2", 2, "never-written", "x", 32), Op.CREATE, Origin.MIGRATION);
    write(2, move, moveDelete, moveOfUnknown);
    assertThat(current("m")).isEqualTo(new Row("client", false, 10));
    assertThat(current("never-written")).isNull();
    assertThat(count("SELECT COUNT(*) FROM kv_changelog WHERE origin = 'migration'")).isEqualTo(3);

    write(3, withOrigin(set("g1", 3, "m", "stale-snapshot", 5), Op.READ, Origin.SNAPSHOT),
        withOrigin(set("g1", 4, "s", "snap", 6), Op.READ, Origin.SNAPSHOT));
    assertThat(current("m")).isEqualTo(new Row("client", false, 10));
    assertThat(current("s")).isEqualTo(new Row("snap", false, 6));
  }

  @Test
  void snapshotEventsOfOneLogIndexAreDistinctBySeqAndArchivedOnceWhenReplayed() throws SQLException {
    write(1, set("g1", 10, "a", "a10", 10), set("g1", 11, "b", "b11", 11), delete("g1", 12, "b", 12),
        set("g1", 13, "c", "c13", 13));
    // The snapshot at index 20 publishes the live keys a and c at their own versions (b is deleted).
    ChangeEvent ra = snapshotRead("g1", 20, 0, "a", "a10", 10);
    ChangeEvent rc = snapshotRead("g1", 20, 1, "c", "c13", 13);
    ChangeEvent rd = snapshotRead("g1", 20, 2, "d", "d9", 9); // a key this archive never saw
    write(2, ra, rc, rd, ra);
    write(2, rd, rc, ra); // the batch replayed, e.g. after a crash before the offsets were committed
    write(3, rc, ra);     // republished by a new leader
    assertThat(count("SELECT COUNT(*) FROM kv_changelog WHERE group_id = 'g1' AND log_index = 20")).isEqualTo(3);
    assertThat(count("SELECT COUNT(DISTINCT event_seq) FROM kv_changelog WHERE log_index = 20")).isEqualTo(3);
    assertThat(count("SELECT COUNT(*) FROM kv_changelog")).isEqualTo(7);
    assertThat(count("SELECT COUNT(*) FROM kv_changelog WHERE log_index = 10 AND event_seq = 0")).isEqualTo(1);
    assertThat(current("a")).isEqualTo(new Row("a10", false, 10));
    assertThat(current("b")).isEqualTo(new Row(null, true, 12));
    assertThat(current("c")).isEqualTo(new Row("c13", false, 13));
    assertThat(current("d")).isEqualTo(new Row("d9", false, 9));
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT CONVERT(kv_key USING utf8mb4), op, origin FROM kv_changelog"
             + " WHERE log_index = 20 ORDER BY event_seq")) {
      List<String> rows = new ArrayList<>();
      while (rs.next()) {
        rows.add(rs.getString(1) + "/" + rs.getString(2) + "/" + rs.getString(3));
      }
      assertThat(rows).containsExactly("a/r/snapshot", "c/r/snapshot", "d/r/snapshot");
    }
  }

  @Test
  void aTransactionsChangesKeepItsIdThroughInsertsAndNoOneCanChangeIt() throws SQLException {
    ArchiveWriter inserting = new ArchiveWriter(ds, offsets, 3, false);
    ChangeEvent a = new ChangeEvent(Op.CREATE, "{u}a", null, b("1"), Events.T0, "g2", 30, 0, 1, 1, 30, Origin.CLIENT,
        true);
    ChangeEvent bDel = new ChangeEvent(Op.DELETE, "{u}b", b("0"), null, Events.T0, "g2", 30, 1, 1, 1, 30,
        Origin.CLIENT, true);
    ChangeEvent grouped = set("g2", 31, "plain", "p", 31);
    inserting.write(new ArchiveBatch(List.of(Events.archive(a), Events.archive(bDel), Events.archive(grouped)),
        List.of(), Map.of(P0, 3L)));
    assertThat(count("SELECT COUNT(*) FROM kv_changelog WHERE txn_id = 'g2:30'")).isEqualTo(2);
    assertThat(count("SELECT COUNT(*) FROM kv_changelog WHERE txn_id IS NULL")).isEqualTo(1);
    assertThat(count("SELECT COUNT(*) FROM kv_history WHERE txn_id = 'g2:30'")).isEqualTo(2);
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.executeUpdate("UPDATE kv_changelog SET txn_id = NULL WHERE txn_id = 'g2:30'"))
          .hasMessageContaining("append-only");
      c.rollback();
    }
  }

  @Test
  void keysCompareByteExactly() throws SQLException {
    write(1, set("g1", 1, "Key", "upper", 1), set("g1", 2, "key", "lower", 2), set("g1", 3, "key ", "space", 3),
        set("g1", 4, "ké", "accent", 4), set("g1", 5, "ke", "plain", 5));
    assertThat(count("SELECT COUNT(*) FROM kv_current")).isEqualTo(5);
    assertThat(current("Key").value()).isEqualTo("upper");
    assertThat(current("key").value()).isEqualTo("lower");
    assertThat(current("key ").value()).isEqualTo("space");
    assertThat(current("ké").value()).isEqualTo("accent");
  }

  @Test
  void binaryAndLargeValuesRoundTrip() throws SQLException {
    byte[] all = new byte[256];
    for (int i = 0; i < all.length; i++) {
      all[i] = (byte) i;
    }
    byte[] big = new byte[3 << 20]; // a 3+3 MiB row, hex-escaped, fits the default 16 MiB packet
    Arrays.fill(big, (byte) 0x27); // a quote, escaped on the way in
    List<ArchiveEvent> events = new ArrayList<>();
    events.add(archive(new ChangeEvent(Op.CREATE, "bin", null, all, 1, "g1", 1, 1, 1, 1, Origin.CLIENT)));
    events.add(archive(new ChangeEvent(Op.CREATE, "big1", null, big, 1, "g1", 2, 1, 1, 2, Origin.CLIENT)));
    events.add(archive(new ChangeEvent(Op.UPDATE, "big2", big, big, 1, "g1", 3, 1, 1, 3, Origin.CLIENT)));
    long loadsBefore = writer.loadedBatches();
    writer.write(new ArchiveBatch(events, List.of(), Map.of(P0, 3L)));
    // A 6 MiB row goes by LOAD DATA too (where the server allows it), and leaves the writer loading.
    assertThat(writer.loadedBatches()).isEqualTo(loadsBefore + (count("SELECT @@local_infile") == 1 ? 1 : 0));
    assertThat(writer.loadsChangelog()).isTrue();
    try (Connection c = ds.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT kv_value FROM kv_current WHERE kv_key = ?")) {
      ps.setBytes(1, b("bin"));
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getBytes(1)).isEqualTo(all);
      }
      ps.setBytes(1, b("big2"));
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getBytes(1)).isEqualTo(big);
      }
    }
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT kv_value, prev_value FROM kv_changelog WHERE kv_key = ?")) {
      ps.setBytes(1, b("big2"));
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getBytes(1)).isEqualTo(big);
        assertThat(rs.getBytes(2)).isEqualTo(big);
      }
      ps.setBytes(1, b("bin"));
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getBytes(1)).isEqualTo(all);
        assertThat(rs.getBytes(2)).isNull();
      }
    }
  }

  @Test
  void aFailingRowRollsBackTheWholeBatchIncludingOffsets() throws SQLException {
    write(1, set("g1", 1, "ok", "1", 1));
    String tooLong = "x".repeat(600); // bypasses the decoder's check: the database must refuse, not truncate
    ArchiveBatch bad = new ArchiveBatch(List.of(archive(set("g1", 2, "fine", "2", 2)), archive(set("g1", 3, tooLong,
        "3", 3))), List.of(), Map.of(P0, 4L));
    assertThatThrownBy(() -> writer.write(bad)).isInstanceOf(SQLException.class);
    assertThat(count("SELECT COUNT(*) FROM kv_changelog")).isEqualTo(1);
    assertThat(current("fine")).isNull();
    assertThat(offsets.load(List.of(P0))).containsEntry(P0, 1L);
  }

  @Test
  void deadLettersAreStoredOnceWithReasonAndBytes() throws SQLException {
    DeadLetter d = new DeadLetter("kv.changes", 0, 7, b("k"), b("{not json"), Events.T0, "not valid JSON");
    ArchiveBatch batch = new ArchiveBatch(List.of(archive(set("g1", 1, "k", "v", 1))), List.of(d), Map.of(P0, 8L));
    writer.write(batch);
    writer.write(batch);
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery(
             "SELECT kafka_offset, record_value, reason, CAST(record_time AS CHAR) FROM kv_dead_letter")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getLong(1)).isEqualTo(7);
      assertThat(rs.getBytes(2)).isEqualTo(b("{not json"));
      assertThat(rs.getString(3)).isEqualTo("not valid JSON");
      assertThat(rs.getString(4)).isEqualTo("2026-01-01 00:00:00.000");
      assertThat(rs.next()).isFalse();
    }
  }

  @Test
  void eventTimeKeepsMilliseconds() throws SQLException {
    write(1, set("g1", 123, "t", "v", 1));
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT CAST(event_time AS CHAR) FROM kv_changelog")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("2026-01-01 00:00:00.123");
    }
  }

  @Test
  void aPutAfterADeleteOfTheSameKeyInOneBatchLeavesThePutAndADeleteAfterAPutLeavesATombstone() throws SQLException {
    write(1, set("g1", 1, "k", "v1", 1), delete("g1", 2, "k", 2), set("g1", 3, "k", "v3", 3),
        set("g1", 4, "j", "j4", 4), delete("g1", 5, "j", 5), delete("g1", 6, "x", 6), set("g1", 7, "x", "x7", 7));
    assertThat(current("k")).isEqualTo(new Row("v3", false, 3));
    assertThat(current("j")).isEqualTo(new Row(null, true, 5));
    assertThat(current("x")).isEqualTo(new Row("x7", false, 7));
    // The same batch replayed, then its events again in the reverse order: nothing changes, nothing doubles.
    write(1, set("g1", 1, "k", "v1", 1), delete("g1", 2, "k", 2), set("g1", 3, "k", "v3", 3),
        set("g1", 4, "j", "j4", 4), delete("g1", 5, "j", 5), delete("g1", 6, "x", 6), set("g1", 7, "x", "x7", 7));
    write(2, set("g1", 7, "x", "x7", 7), delete("g1", 6, "x", 6), delete("g1", 5, "j", 5), set("g1", 4, "j", "j4", 4),
        set("g1", 3, "k", "v3", 3), delete("g1", 2, "k", 2), set("g1", 1, "k", "v1", 1));
    assertThat(current("k")).isEqualTo(new Row("v3", false, 3));
    assertThat(current("j")).isEqualTo(new Row(null, true, 5));
    assertThat(current("x")).isEqualTo(new Row("x7", false, 7));
    assertThat(count("SELECT COUNT(*) FROM kv_changelog")).isEqualTo(7);
  }

  @Test
  void theChangelogIsLoadedByteExactly() throws SQLException {
    byte[] all = new byte[256];
    for (int i = 0; i < all.length; i++) {
      all[i] = (byte) i;
    }
    List<ChangeEvent> events = List.of(
        new ChangeEvent(Op.CREATE, "bin\tkey\n\\N", null, all, Events.T0 + 1, "g1.42", 1, 0, 3, 4, 5, Origin.CLIENT),
        new ChangeEvent(Op.UPDATE, "\\N", b("\\N"), new byte[0], Events.T0 + 2, "g1.42", 2, 0, 3, 4, 6,
            Origin.CLIENT),
        new ChangeEvent(Op.DELETE, "\\N", new byte[0], null, Events.T0 + 3, "g1.42", 3, 0, 3, 4, 7, Origin.CLIENT),
        new ChangeEvent(Op.READ, "snap\t", null, b("tab\there"), Events.T0 + 4, "g1.42", 4, 1, 3, 4, 8,
            Origin.SNAPSHOT),
        withOrigin(set("g2", 9, "moved", "m\n", 9), Op.CREATE, Origin.MIGRATION),
        new ChangeEvent(Op.CREATE, "{t}x", null, b("1"), Events.T0 + 5, "g1.42", 5, 0, 3, 4, 9, Origin.CLIENT, true),
        new ChangeEvent(Op.DELETE, "{t}y", null, null, Events.T0 + 5, "g1.42", 5, 1, 3, 4, 9, Origin.CLIENT, true));
    long loadsBefore = writer.loadedBatches();
    write(1, events.toArray(ChangeEvent[]::new));
    // MariaDB allows LOCAL INFILE by default; a MySQL 8 test server (local_infile=OFF) checks the INSERT path instead.
    assertThat(writer.loadedBatches()).isEqualTo(loadsBefore + (count("SELECT @@local_infile") == 1 ? 1 : 0));
    List<String> expected = new ArrayList<>();
    for (ChangeEvent e : events) {
      expected.add(String.join("|", e.group(), Long.toString(e.logIndex()), Integer.toString(e.seq()),
          String.valueOf(e.txnId()), e.op().code(),
          hex(b(e.key())), hex(e.after()), hex(e.before()), Long.toString(e.version()), Long.toString(e.term()),
          Long.toString(e.epoch()), e.origin().code(), SqlTime.utc(e.tsMs())));
    }
    List<String> stored = new ArrayList<>();
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT CONCAT_WS('|', group_id, log_index, event_seq,"
             + " COALESCE(txn_id, 'null'), op, HEX(kv_key),"
             + " COALESCE(HEX(kv_value), 'null'), COALESCE(HEX(prev_value), 'null'), version, term, epoch, origin,"
             + " CAST(event_time AS CHAR)) FROM kv_changelog ORDER BY id")) {
      while (rs.next()) {
        stored.add(rs.getString(1));
      }
    }
    assertThat(stored).containsExactlyElementsOf(expected);
    assertThat(current("\\N")).isEqualTo(new Row(null, true, 7));
  }

  private static String hex(byte[] b) {
    return b == null ? "null" : java.util.HexFormat.of().withUpperCase().formatHex(b);
  }

  @Test
  void aServerOrDriverRefusingLocalInfileGetsInsertsFromThenOn(MySqlDatabase db) throws SQLException {
    // A driver that does not offer local files gets the server's refusal (ER_NOT_ALLOWED_COMMAND), as from a server
    // with local_infile=0 (MySQL 8's default).
    HikariConfig plain = new HikariConfig();
    plain.setJdbcUrl(db.jdbcUrl());
    plain.setUsername(db.user());
    plain.setPassword(db.password());
    plain.setAutoCommit(false);
    plain.setMaximumPoolSize(1);
    try (HikariDataSource refusing = new HikariDataSource(plain)) {
      ArchiveWriter w = new ArchiveWriter(refusing, new OffsetStore(refusing, "g-refused"), 2, true);
      w.write(new ArchiveBatch(List.of(archive(set("g1", 1, "r", "1", 1)), archive(set("g1", 2, "s", "2", 2))),
          List.of(), Map.of(P0, 2L)));
      assertThat(w.loadsChangelog()).isFalse();
      w.write(new ArchiveBatch(List.of(archive(set("g1", 3, "r", "3", 3))), List.of(), Map.of(P0, 3L)));
      assertThat(w.loadedBatches()).isZero();
    }
    assertThat(count("SELECT COUNT(*) FROM kv_changelog")).isEqualTo(3);
    assertThat(current("r")).isEqualTo(new Row("3", false, 3));
    assertThat(current("s")).isEqualTo(new Row("2", false, 2));

    // The driver refusing by itself: its allowed directory is gone (a temp cleaner, say).
    try (HikariDataSource noDirectory = ArchiveDataSource.create(db.jdbcUrl(), db.user(), db.password(), 1,
        Map.of("allowLoadLocalInfileInPath", "/nonexistent/kvpipe-load"))) {
      ArchiveWriter w = new ArchiveWriter(noDirectory, new OffsetStore(noDirectory, "g-refused"), 2, true);
      w.write(new ArchiveBatch(List.of(archive(set("g1", 4, "t", "4", 4))), List.of(), Map.of(P0, 4L)));
      assertThat(w.loadsChangelog()).isFalse();
      assertThat(w.loadedBatches()).isZero();
    }
    assertThat(current("t")).isEqualTo(new Row("4", false, 4));
  }

  @Test
  void theInsertOnlyWriterWritesTheSameRows() throws SQLException {
    ArchiveWriter inserts = new ArchiveWriter(ds, offsets, 2, false);
    inserts.write(new ArchiveBatch(List.of(archive(set("g1", 1, "k", "a\tb", 1)), archive(delete("g1", 2, "k", 2)),
        archive(set("g1", 3, "k", "c", 3))), List.of(), Map.of(P0, 3L)));
    inserts.write(new ArchiveBatch(List.of(archive(set("g1", 3, "k", "c", 3))), List.of(), Map.of(P0, 4L)));
    assertThat(inserts.loadedBatches()).isZero();
    assertThat(count("SELECT COUNT(*) FROM kv_changelog")).isEqualTo(3);
    assertThat(current("k")).isEqualTo(new Row("c", false, 3));
    assertThat(offsets.load(List.of(P0))).containsEntry(P0, 4L);
  }

  record Row(String value, boolean deleted, long version) {}

  private static Row current(String key) throws SQLException {
    try (Connection c = ds.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT kv_value, deleted, version FROM kv_current WHERE kv_key = ?")) {
      ps.setBytes(1, b(key));
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        byte[] v = rs.getBytes(1);
        return new Row(v == null ? null : new String(v, java.nio.charset.StandardCharsets.UTF_8), rs.getBoolean(2),
            rs.getLong(3));
      }
    }
  }

  private static long count(String sql) throws SQLException {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void driverPropertiesReachThePoolsConnections(MySqlDatabase db) throws Exception {
    try (var pool = ArchiveDataSource.create(db.jdbcUrl(), db.user(), db.password(), 1,
        Map.of("sessionVariables", "wait_timeout=4321"));
         Connection c = pool.getConnection(); Statement s = c.createStatement();
         java.sql.ResultSet rs = s.executeQuery("SELECT @@wait_timeout")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getLong(1)).isEqualTo(4321);
    }
  }
}
