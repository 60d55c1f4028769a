package io.kvpipe.testsupport.bench;

import io.kvpipe.testsupport.Poll;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A thread that polls kv_changelog every few milliseconds for rows it has not seen and reports each one, with the
 * time the query answered (an upper bound of when the row became visible), to a {@link VisibilityTracker}.
 *
 * <p>Rows are read by {@code id > low}. Auto-increment ids are allocated at insert time, so with concurrent writer
 * transactions a lower id can become visible after a higher one; {@code low} therefore only advances over ids that
 * were seen, or that stayed missing for {@link #GAP_GIVE_UP_NANOS} (a rolled back or duplicate-ignored insert leaves a
 * permanent hole). All fields below are owned by the watcher thread, except the volatile target and the counters.
 */
public final class ChangelogWatcher implements AutoCloseable {
  private static final long GAP_GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(2);

  private final String jdbcUrl;
  private final String user;
  private final String password;
  private final long intervalNanos;
  private final Thread thread;
  private volatile VisibilityTracker target;
  private volatile boolean running = true;
  private volatile Throwable failure;
  private final AtomicLong rowsSeen = new AtomicLong();
  private final AtomicLong queries = new AtomicLong();

  private long low;
  private final Set<Long> seenAboveLow = new HashSet<>();
  private final Map<Long, Long> missingSince = new HashMap<>();
  private long maxSeen;

  public ChangelogWatcher(String jdbcUrl, String user, String password, long intervalMillis) {
    this.jdbcUrl = jdbcUrl;
    this.user = user;
    this.password = password;
    this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
    this.thread = Thread.ofPlatform().name("changelog-watcher").daemon().start(this::run);
  }

  /** Rows seen from now on go to {@code tracker}. */
  public void reportTo(VisibilityTracker tracker) {
    this.target = tracker;
  }

  public long rowsSeen() {
    return rowsSeen.get();
  }

  public long queries() {
    return queries.get();
  }

  /** Rethrows what stopped the watcher, if anything did. */
  public void check() {
    if (failure != null) {
      throw new Poll.Abort("the changelog watcher failed: " + failure);
    }
  }

  private void run() {
    try (Connection c = DriverManager.getConnection(jdbcUrl, user, password)) {
      c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
      c.setAutoCommit(true); // every query sees what is committed now
      awaitTable(c);
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT id, kv_key, version FROM kv_changelog WHERE id > ? ORDER BY id LIMIT 20000")) {
        while (running) {
          long next = System.nanoTime() + intervalNanos;
          poll(ps);
          LockSupport.parkNanos(Math.max(0, next - System.nanoTime()));
        }
      }
    } catch (SQLException | RuntimeException e) {
      failure = e;
    }
  }

  /** The consumer creates the schema (Flyway) when it starts, possibly after this thread does. */
  private void awaitTable(Connection c) throws SQLException {
    while (running) {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'kv_changelog'");
           ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (rs.getInt(1) > 0) {
          return;
        }
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
  }

  private void poll(PreparedStatement ps) throws SQLException {
    ps.setLong(1, low);
    queries.incrementAndGet();
    try (ResultSet rs = ps.executeQuery()) {
      long now = System.nanoTime();
      VisibilityTracker t = target;
      while (rs.next()) {
        long id = rs.getLong(1);
        if (!seenAboveLow.add(id)) {
          continue;
        }
        maxSeen = Math.max(maxSeen, id);
        missingSince.remove(id);
        rowsSeen.incrementAndGet();
        if (t != null) {
          t.seen(new String(rs.getBytes(2), StandardCharsets.UTF_8), rs.getLong(3), now);
        }
      }
      advanceLow(now);
    }
  }

  private void advanceLow(long now) {
    while (low < maxSeen) {
      long id = low + 1;
      if (!seenAboveLow.remove(id)) {
        Long since = missingSince.putIfAbsent(id, now);
        if (since == null || now - since < GAP_GIVE_UP_NANOS) {
          // Not yet: note every hole up to maxSeen now, so a run of permanent holes expires together.
          for (long h = id + 1; h < maxSeen; h++) {
            if (!seenAboveLow.contains(h)) {
              missingSince.putIfAbsent(h, now);
            }
          }
          return;
        }
        missingSince.remove(id);
      }
      low = id;
    }
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(TimeUnit.SECONDS.toMillis(10));
  }
}
