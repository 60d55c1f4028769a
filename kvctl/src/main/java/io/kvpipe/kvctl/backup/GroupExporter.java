package io.kvpipe.kvctl.backup;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Reply;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Backs one shard group up into a data file: opens an export through the group's log (every replica sets aside its
 * live owned records as of that entry), reads it page by page with linearizable reads (any leader that applied the
 * open answers the same pages, so a leader change mid-way loses nothing), and closes it. The result is the group's
 * state at exactly the export's log index, however many writes land meanwhile.
 */
public final class GroupExporter {
  /** Values per page, so a page of large values stays well within a Ratis message. */
  static final int PAGE_BYTES = 4 << 20;

  private final int pageSize;
  private final java.io.PrintWriter warnings;

  public GroupExporter(int pageSize, java.io.PrintWriter warnings) {
    this.pageSize = pageSize;
    this.warnings = warnings;
  }

  public BackupManifest.Group export(String id, String raftGroup, ShardGroupClient client, Path dir, Progress progress)
      throws IOException {
    String exportId = "backup-" + UUID.randomUUID();
    Reply.ExportOpened opened = ShardGroupClient.join(client.openExportAsync(exportId));
    progress.expect(opened.records());
    String file = id + ".kvb";
    try (GroupDataFile.Writer w = new GroupDataFile.Writer(dir.resolve(file))) {
      long offset = 0;
      while (true) {
        Reply.KeyPage page = ShardGroupClient.join(client.exportPageAsync(exportId, offset, pageSize, PAGE_BYTES));
        for (Entry e : page.entries()) {
          w.write(e);
        }
        offset += page.entries().size();
        progress.add(page.entries().size());
        if (!page.more()) {
          break;
        }
      }
      if (w.count() != opened.records()) {
        throw new IOException("group " + id + ": the export announced " + opened.records() + " records but "
            + w.count() + " were read");
      }
      String sha = w.finish();
      List<long[]> owned = new ArrayList<>();
      for (HashRange r : opened.owned().ranges()) {
        owned.add(new long[] {r.start(), r.end()});
      }
      return new BackupManifest.Group(id, raftGroup, opened.logIndex(), opened.epoch(), owned, w.count(), w.bytes(),
          file, sha);
    } finally {
      // The replicas drop it anyway when idle; closing frees their memory now.
      try {
        ShardGroupClient.join(client.closeExportAsync(exportId));
      } catch (RuntimeException e) {
        warnings.println("kvctl: warning: could not close export " + exportId + " of group " + id + " (its replicas"
            + " drop it after " + "10 idle minutes): " + e.getMessage());
        warnings.flush();
      }
    }
  }
}
