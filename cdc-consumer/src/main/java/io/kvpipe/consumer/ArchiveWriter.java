package io.kvpipe.consumer;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToLongFunction;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one {@link ArchiveBatch} as one MySQL transaction: changelog rows (loaded with {@link ChangelogLoad} when the
 * server allows it, else multi-row INSERTs; either way a replayed identity is a no-op and any other error fails the
 * batch), version-guarded upserts of {@code kv_current}, dead letters, and the partitions' next
 * offsets. Either all of it commits or none of it does. Stateless apart from its collaborators; thread-safe.
 */
public final class ArchiveWriter {
  /** Keeps each statement well under MariaDB's default max_allowed_packet (16 MiB). */
  static final long MAX_STATEMENT_BYTES = 8L << 20;

  private static final MultiRowInsert CHANGELOG = new MultiRowInsert(
      "INSERT INTO kv_changelog (group_id, log_index, event_seq, txn_id, op, kv_key, kv_value, prev_value, version, term,"
          + " epoch, origin, event_time, consumed_at) VALUES",
      "(?,?,?,?,?,?,?,?,?,?,?,?,?,UTC_TIMESTAMP(3))",
      // Only a duplicate of the unique identity is ignored; unlike INSERT IGNORE, truncation and other errors still fail.
      "ON DUPLICATE KEY UPDATE id = id");

  // MySQL runs the assignments left to right, so every IF must read the old version: version is assigned last.
  private static final MultiRowInsert CURRENT = new MultiRowInsert(
      "INSERT INTO kv_current (kv_key, kv_value, deleted, group_id, log_index, event_time, updated_at, version) VALUES",
      "(?,?,?,?,?,?,UTC_TIMESTAMP(3),?)",
      "ON DUPLICATE KEY UPDATE"
          + " kv_value = IF(VALUES(version) > version, VALUES(kv_value), kv_value),"
          + " deleted = IF(VALUES(version) > version, VALUES(deleted), deleted),"
          + " group_id = IF(VALUES(version) > version, VALUES(group_id), group_id),"
          + " log_index = IF(VALUES(version) > version, VALUES(log_index), log_index),"
          + " event_time = IF(VALUES(version) > version, VALUES(event_time), event_time),"
          + " updated_at = IF(VALUES(version) > version, VALUES(updated_at), updated_at),"
          + " version = GREATEST(version, VALUES(version))");

  private static final MultiRowInsert DEAD_LETTER = new MultiRowInsert(
      "INSERT INTO kv_dead_letter (topic, kafka_partition, kafka_offset, record_key, record_value, reason, record_time,"
          + " dead_lettered_at) VALUES",
      "(?,?,?,?,?,?,?,UTC_TIMESTAMP(3))",
      "ON DUPLICATE KEY UPDATE id = id");

  /**
   * Refusals of LOAD DATA LOCAL: ER_NOT_ALLOWED_COMMAND (both servers), MariaDB's ER_LOAD_INFILE_CAPABILITY_DISABLED,
   * MySQL 8's ER_CLIENT_LOCAL_FILES_DISABLED, and 0 for the driver's own (a file outside its allowed directory, or
   * that directory missing).
   */
  private static final Set<Integer> LOAD_REFUSED = Set.of(1148, 4166, 3948, 0);
  private static final Logger log = LoggerFactory.getLogger(ArchiveWriter.class);

  private final DataSource dataSource;
  private final OffsetStore offsets;
  private final int statementRows;
  /** Whether to try {@link ChangelogLoad} for the changelog; cleared for good once the server refuses it. */
  private volatile boolean loadChangelog;
  private final LongAdder loads = new LongAdder();

  /** A writer that writes the changelog with multi-row INSERTs (the consumer's default). */
  public ArchiveWriter(DataSource dataSource, OffsetStore offsets, int statementRows) {
    this(dataSource, offsets, statementRows, false);
  }

  /** @param loadChangelog true: LOAD DATA LOCAL where the server allows it ({@link ChangelogLoad}) */
  public ArchiveWriter(DataSource dataSource, OffsetStore offsets, int statementRows, boolean loadChangelog) {
    this.dataSource = dataSource;
    this.offsets = offsets;
    this.statementRows = statementRows;
    this.loadChangelog = loadChangelog;
  }

  /** Whether the changelog still goes by LOAD DATA (false once the server refused it). */
  boolean loadsChangelog() {
    return loadChangelog;
  }

  /** Batches whose changelog went in by LOAD DATA (the rest by INSERTs). */
  long loadedBatches() {
    return loads.sum();
  }

  /** Commits the whole batch, or rolls it back and throws. */
  public void write(ArchiveBatch batch) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        insertChangelog(c, batch.events());
        upsertCurrent(c, newestPerKey(batch.events()));
        insertDeadLetters(c, batch.deadLetters());
        offsets.save(c, batch.nextOffsets());
        c.commit();
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException rollbackFailure) {
          e.addSuppressed(rollbackFailure);
        }
        throw e;
      }
    }
  }

  private void insertChangelog(Connection c, List<ArchiveEvent> rows) throws SQLException {
    if (rows.isEmpty() || (loadChangelog && loadChangelog(c, rows))) {
      return;
    }
    insertChangelogRows(c, rows);
  }

  /**
   * The fast path: true when every row went in by LOAD DATA with no warning, i.e. exactly as the INSERT would have put
   * it. Anything else (a replayed identity, a value the column cannot hold, any other error) is rolled back to before
   * the load and false returned, so {@link #insertChangelogRows} writes the batch with its exact semantics: duplicates
   * of the identity ignored, every other problem an error that fails the batch.
   */
  private boolean loadChangelog(Connection c, List<ArchiveEvent> rows) throws SQLException {
    try {
      return loadChangelogOnce(c, rows);
    } finally {
      ChangelogLoad.clear();
    }
  }

  private boolean loadChangelogOnce(Connection c, List<ArchiveEvent> rows) throws SQLException {
    Savepoint before = c.setSavepoint();
    boolean clean = true;
    try (Statement s = c.createStatement()) {
      for (int from = 0, to; from < rows.size() && clean; from = to) {
        to = loadEnd(rows, from);
        long loaded = s.executeLargeUpdate(ChangelogLoad.prepare(rows.subList(from, to)));
        clean = loaded == to - from && warnings(s) == 0;
      }
    } catch (IOException e) {
      c.rollback(before);
      stopLoading(e.toString());
      return false;
    } catch (SQLException e) {
      try {
        c.rollback(before); // fails if the server rolled the whole transaction back (a deadlock): the batch fails
      } catch (SQLException rollbackFailure) {
        e.addSuppressed(rollbackFailure);
        throw e;
      }
      if (LOAD_REFUSED.contains(e.getErrorCode())) {
        // The server's local_infile is off, or the driver refused (its private directory gone): asking again for
        // every batch would only repeat the refusal.
        stopLoading(e.getMessage());
      } else {
        // Rows never fail a LOCAL load (IGNORE makes them warnings): a lock wait, a full disk... the INSERT meets the
        // same condition and fails the batch if it lasts.
        log.debug("LOAD DATA of the changelog failed, writing the batch with INSERTs: {}", e.toString());
      }
      return false;
    }
    if (!clean) {
      c.rollback(before);
      return false;
    }
    c.releaseSavepoint(before);
    loads.increment();
    return true;
  }

  private void stopLoading(String why) {
    if (loadChangelog) {
      loadChangelog = false;
      log.warn("LOAD DATA LOCAL INFILE of the changelog failed ({}): the changelog is written with multi-row INSERTs"
          + " from now on, which is slower (the server needs local_infile=ON)", why);
    }
  }

  private static long warnings(Statement s) throws SQLException {
    try (ResultSet rs = s.executeQuery("SELECT @@warning_count")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static int loadEnd(List<ArchiveEvent> rows, int from) {
    long total = 0;
    int to = from;
    while (to < rows.size()) {
      total += ChangelogLoad.bytesOf(rows.get(to));
      if (total > ChangelogLoad.MAX_LOAD_BYTES && to > from) {
        break;
      }
      to++;
    }
    return to;
  }

  private void insertChangelogRows(Connection c, List<ArchiveEvent> rows) throws SQLException {
    for (int from = 0, to; from < rows.size(); from = to) {
      to = chunkEnd(rows, from, a -> size(a.event().after()) + size(a.event().before()) + a.key().length);
      try (PreparedStatement ps = c.prepareStatement(CHANGELOG.sql(to - from))) {
        int i = 1;
        for (ArchiveEvent a : rows.subList(from, to)) {
          ChangeEvent e = a.event();
          ps.setString(i++, e.group());
          ps.setLong(i++, e.logIndex());
          ps.setInt(i++, e.seq());
          ps.setString(i++, e.txnId());
          ps.setString(i++, e.op().code());
          ps.setBytes(i++, a.key());
          ps.setBytes(i++, e.after());
          ps.setBytes(i++, e.before());
          ps.setLong(i++, e.version());
          ps.setLong(i++, e.term());
          ps.setLong(i++, e.epoch());
          ps.setString(i++, e.origin().code());
          ps.setString(i++, SqlTime.utc(e.tsMs()));
        }
        ps.executeUpdate();
      }
    }
  }

  private void upsertCurrent(Connection c, List<ArchiveEvent> rows) throws SQLException {
    for (int from = 0, to; from < rows.size(); from = to) {
      to = chunkEnd(rows, from, a -> size(a.event().after()) + a.key().length);
      try (PreparedStatement ps = c.prepareStatement(CURRENT.sql(to - from))) {
        int i = 1;
        for (ArchiveEvent a : rows.subList(from, to)) {
          ChangeEvent e = a.event();
          boolean deleted = e.op() == Op.DELETE;
          ps.setBytes(i++, a.key());
          ps.setBytes(i++, deleted ? null : e.after());
          ps.setInt(i++, deleted ? 1 : 0);
          ps.setString(i++, e.group());
          ps.setLong(i++, e.logIndex());
          ps.setString(i++, SqlTime.utc(e.tsMs()));
          ps.setLong(i++, e.version());
        }
        ps.executeUpdate();
      }
    }
  }

  private void insertDeadLetters(Connection c, List<DeadLetter> rows) throws SQLException {
    for (int from = 0, to; from < rows.size(); from = to) {
      to = chunkEnd(rows, from, d -> size(d.recordKey()) + size(d.recordValue()));
      try (PreparedStatement ps = c.prepareStatement(DEAD_LETTER.sql(to - from))) {
        int i = 1;
        for (DeadLetter letter : rows.subList(from, to)) {
          DeadLetter d = letter.fitTable();
          ps.setString(i++, d.topic());
          ps.setInt(i++, d.partition());
          ps.setLong(i++, d.offset());
          ps.setBytes(i++, d.recordKey());
          ps.setBytes(i++, d.recordValue());
          ps.setString(i++, d.reason());
          // Any producer sets a record's timestamp; one DATETIME cannot hold is left out (Kafka's "none" is -1).
          ps.setString(i++, d.recordTimeMs() >= 0 && SqlTime.inRange(d.recordTimeMs())
              ? SqlTime.utc(d.recordTimeMs()) : null);
        }
        ps.executeUpdate();
      }
    }
  }

  /**
   * The state-changing event with the highest version per key, sorted by key bytes (a stable lock order between
   * concurrent consumers). Migration moves never change the logical state, so they are left out.
   */
  static List<ArchiveEvent> newestPerKey(List<ArchiveEvent> events) {
    Map<String, ArchiveEvent> newest = new HashMap<>(events.size() * 2);
    for (ArchiveEvent a : events) {
      if (a.event().origin() == Origin.MIGRATION) {
        continue;
      }
      newest.merge(a.event().key(), a, (old, cur) -> cur.event().version() > old.event().version() ? cur : old);
    }
    List<ArchiveEvent> out = new ArrayList<>(newest.values());
    out.sort((x, y) -> Arrays.compareUnsigned(x.key(), y.key()));
    return out;
  }

  /**
   * End (exclusive) of the statement starting at {@code from}: at most statementRows rows and about MAX bytes, and a
   * {@link #statementSize canonical} row count.
   */
  private <T> int chunkEnd(List<T> rows, int from, ToLongFunction<T> bytes) {
    long total = 0;
    int to = from;
    while (to < rows.size() && to - from < statementRows) {
      total += bytes.applyAsLong(rows.get(to)) * 2 + 64; // escaping can double binary data
      if (total > MAX_STATEMENT_BYTES && to > from) {
        break;
      }
      to++;
    }
    return from + statementSize(to - from, statementRows);
  }

  /**
   * The rows of one statement out of {@code fit} that would fit: all of them when that is a full statement, else the
   * largest power of two not above it. A batch's rest (and a byte-capped chunk) then goes as at most ~log2(statementRows)
   * statements whose row counts recur from batch to batch, so each count's server-side prepared statement is prepared
   * once per connection and reused from the driver's cache. An arbitrary rest (any of 1..statementRows-1 rows) made a
   * new statement of thousands of placeholders nearly every transaction: the driver parsed its SQL, the server prepared
   * it, the cache evicted and closed another (bench-archive's profile: QueryInfo, prepare and close ~10% of the
   * consumer's CPU).
   */
  static int statementSize(int fit, int statementRows) {
    if (fit >= statementRows || fit <= 1) {
      return fit;
    }
    return Integer.highestOneBit(fit);
  }

  private static long size(byte[] b) {
    return b == null ? 0 : b.length;
  }
}
