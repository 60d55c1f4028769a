package io.kvpipe.node.shard;

import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Reply;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long this replica's apply thread spends on migration entries (MigrateIn copies, PurgeUnowned range deletes),
 * logged at most every {@link #INTERVAL_NANOS} while they arrive: with the coordinator's own timings (PairCopier)
 * this splits a copy's time between the Raft round and the apply. Apply thread only; a few counters, no allocation
 * per entry.
 */
final class MigrationApplyLog {
  private static final Logger LOG = LoggerFactory.getLogger(MigrationApplyLog.class);
  private static final long INTERVAL_NANOS = 5_000_000_000L;

  private final String group;
  private long since = System.nanoTime();
  private long copies;
  private long copiedRecords;
  private long copyNanos;
  private long purges;
  private long purgedRecords;
  private long purgeNanos;

  MigrationApplyLog(String group) {
    this.group = group;
  }

  /** Counts one applied entry if it is a migration command ({@code startNanos}: when its apply began). */
  void applied(Command command, Reply reply, long startNanos) {
    long now = System.nanoTime();
    switch (command) {
      case Command.MigrateIn m -> {
        copies++;
        copiedRecords += m.entries().size();
        copyNanos += now - startNanos;
      }
      case Command.PurgeUnowned p -> {
        purges++;
        purgedRecords += reply instanceof Reply.Purged r ? r.removed() : 0;
        purgeNanos += now - startNanos;
        if (reply instanceof Reply.Purged r && !r.more()) {
          // The source's last purge entry: say what the purge cost before the interval would.
          log(now);
          return;
        }
      }
      default -> {
        return;
      }
    }
    if (now - since >= INTERVAL_NANOS) {
      log(now);
    }
  }

  private void log(long now) {
    if (copies + purges > 0) {
      LOG.info(String.format(Locale.ROOT, "group %s: migration applies in the last %.1f s: %d MigrateIn (%,d records,"
              + " %.0f ms applying, %.2f ms each), %d PurgeUnowned (%,d records, %.0f ms applying)", group,
          (now - since) / 1e9, copies, copiedRecords, copyNanos / 1e6, copies == 0 ? 0 : copyNanos / 1e6 / copies,
          purges, purgedRecords, purgeNanos / 1e6));
    }
    since = now;
    copies = copiedRecords = copyNanos = purges = purgedRecords = purgeNanos = 0;
  }
}
