package io.kvpipe.kvctl;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.kvctl.backup.BackupFormatException;
import io.kvpipe.kvctl.backup.BackupManifest;
import io.kvpipe.kvctl.backup.GroupDataFile;
import io.kvpipe.kvctl.backup.Progress;
import io.kvpipe.kvctl.backup.RestoreLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kvctl restore DIR}: loads a backup into a fresh cluster. Everything that can be checked is checked before the
 * first write: the manifest, every data file read whole against its SHA-256, record count and owned ranges, the
 * target's ring against the backup's, and every target group empty. Then each key is loaded through the bulk-load
 * path (PutAll) into the group the target's ring gives it.
 */
@Command(name = "restore", description = "Load a backup made by 'kvctl backup' into a fresh (empty) cluster whose ring"
    + " matches the backup's (or any ring with --route-by-target-ring).")
final class RestoreCommand extends KvctlCommand {
  @Parameters(index = "0", paramLabel = "DIR", description = "a backup directory (manifest.json + data files)")
  Path dir;

  @Option(names = "--route-by-target-ring", description = "the target's ring may differ from the backup's (other"
      + " groups or virtual nodes): load each key into the group the target's ring gives it")
  boolean routeByTargetRing;

  @Option(names = "--batch-size", defaultValue = "1000", description = "keys per bulk-load entry (1..10000; default"
      + " ${DEFAULT-VALUE})")
  int batchSize;

  @Option(names = "--in-flight", defaultValue = "4", description = "bulk loads in flight per group (default"
      + " ${DEFAULT-VALUE})")
  int inFlight;

  @Option(names = "--progress-s", defaultValue = "1", description = "seconds between progress lines on stderr "
      + "(0: none; default ${DEFAULT-VALUE})")
  int progressS;

  /** Bytes of keys and values per bulk-load entry: well inside the node's bulk bound for default-sized values. */
  static final long BATCH_BYTES = 1 << 20;

  @Override
  public Integer call() {
    if (batchSize < 1 || batchSize > 10_000 || inFlight < 1 || inFlight > 64 || progressS < 0) {
      throw new KvctlException(ExitCodes.USAGE, "--batch-size must be 1..10000, --in-flight 1..64, --progress-s >= 0");
    }
    BackupManifest manifest = verifiedBackup();
    ProxyApi api = cluster.api();
    Topology target = TopologyReader.read(api);
    HashRing ring = checkedRing(manifest, target);
    Map<String, ShardGroupClient> clients = new LinkedHashMap<>();
    try {
      for (String id : target.ringMembers()) {
        clients.put(id, TopologyReader.client(target.group(id).orElseThrow(), cluster));
      }
      checkEmpty(clients);
      Progress progress = new Progress("restore", manifest.totalRecords(), progressS == 0 ? null : err(),
          progressS * 1_000_000_000L);
      RestoreLoader loader = new RestoreLoader(clients, ring::groupFor, batchSize, BATCH_BYTES, inFlight,
          Duration.ofMinutes(2), progress);
      long loaded = 0;
      try {
        for (BackupManifest.Group g : manifest.groups()) {
          loaded += GroupDataFile.read(dir.resolve(g.file()), loader::add).records();
        }
        loader.finish();
      } catch (BackupFormatException | KvException e) {
        throw new KvctlException(ExitCodes.SERVER_ERROR, "restore failed after " + progress.done() + " of "
            + manifest.totalRecords() + " keys; the cluster now holds part of the backup: restore again into a"
            + " fresh cluster. Cause: " + e.getMessage(), e);
      }
      progress.finish();
      print(manifest, target, loaded, loader.expiredSkipped(), progress);
      return ExitCodes.OK;
    } finally {
      clients.values().forEach(ShardGroupClient::close);
    }
  }

  /** The manifest, with every data file read whole and found as the manifest describes it. */
  private BackupManifest verifiedBackup() {
    try {
      BackupManifest m = BackupManifest.read(dir);
      for (BackupManifest.Group g : m.groups()) {
        List<long[]> owned = g.owned();
        GroupDataFile.Summary s = GroupDataFile.read(dir.resolve(g.file()), e -> {
          if (owned != null && !inRanges(owned, HashRing.position(e.key()))) {
            throw new BackupFormatException(g.file() + ": key " + e.keyString() + " is outside the ranges group "
                + g.id() + " owned");
          }
        });
        if (!s.sha256().equals(g.sha256())) {
          throw new BackupFormatException(g.file() + ": checksum mismatch (SHA-256 " + s.sha256() + ", the manifest"
              + " says " + g.sha256() + "): the file is corrupt or was changed");
        }
        if (s.records() != g.records()) {
          throw new BackupFormatException(g.file() + " holds " + s.records() + " records, the manifest says "
              + g.records());
        }
      }
      return m;
    } catch (BackupFormatException e) {
      throw new KvctlException(ExitCodes.USAGE, "not restoring from " + dir + ": " + e.getMessage()
          + " (nothing was changed)", e);
    }
  }

  private static boolean inRanges(List<long[]> ranges, long position) {
    for (long[] r : ranges) {
      if (r.length == 2 && position >= r[0] && position < r[1]) {
        return true;
      }
    }
    return false;
  }

  private HashRing checkedRing(BackupManifest m, Topology target) {
    if (!target.isBootstrapped() || target.ringMembers().isEmpty()) {
      throw new KvctlException(ExitCodes.FOUND_PROBLEMS, "the target cluster has no ring yet (nothing was changed)");
    }
    target.inFlightMigration().ifPresent(mig -> {
      throw new KvctlException(ExitCodes.FOUND_PROBLEMS, "migration " + mig.id() + " is in flight on the target"
          + " cluster (nothing was changed)");
    });
    boolean same = new java.util.TreeSet<>(target.ringMembers()).equals(new java.util.TreeSet<>(m.ring()))
        && target.ring().vnodes() == m.vnodes();
    if (!same && !routeByTargetRing) {
      throw new KvctlException(ExitCodes.FOUND_PROBLEMS, "the target's ring (groups " + target.ringMembers() + ", "
          + target.ring().vnodes() + " virtual nodes) differs from the backup's (groups " + m.ring() + ", "
          + m.vnodes() + "): add --route-by-target-ring to load each key into the group the target's ring gives it"
          + " (nothing was changed)");
    }
    return target.ring().toRing();
  }

  private static void checkEmpty(Map<String, ShardGroupClient> clients) {
    for (Map.Entry<String, ShardGroupClient> c : clients.entrySet()) {
      long records;
      try {
        records = c.getValue().status().records();
      } catch (KvException e) {
        throw new KvctlException(ExitCodes.SERVER_ERROR, "cannot read group " + c.getKey() + "'s status: "
            + e.getMessage() + " (nothing was changed)", e);
      }
      if (records != 0) {
        throw new KvctlException(ExitCodes.FOUND_PROBLEMS, "group " + c.getKey() + " already holds " + records
            + " records (tombstones included): restore loads only into a fresh, empty cluster (nothing was changed)");
      }
    }
  }

  private void print(BackupManifest m, Topology target, long loaded, long expired, Progress progress) {
    if (json()) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("dir", dir.toString());
      out.put("backupTopologyVersion", m.topologyVersion());
      out.put("targetRing", target.ringMembers());
      out.put("records", loaded);
      out.put("expiredNotRestored", expired);
      out.put("seconds", progress.seconds());
      out.put("keysPerSecond", progress.rate());
      printJson(out);
      return;
    }
    out().printf("restored %,d keys from %s into groups %s: %.1f s, %,.0f keys/s%s%n", loaded - expired, dir,
        target.ringMembers(), progress.seconds(), progress.rate(),
        expired == 0 ? "" : String.format(" (%,d keys whose time to live ran out since the backup left out)", expired));
  }
}
