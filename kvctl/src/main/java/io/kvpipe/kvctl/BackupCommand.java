package io.kvpipe.kvctl;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.kvctl.backup.BackupManifest;
import io.kvpipe.kvctl.backup.GroupExporter;
import io.kvpipe.kvctl.backup.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kvctl backup DIR}: every ring group's live keys, each group read at one log index (an export opened through
 * its log), into a new directory with a manifest (topology version, epoch, ring, per group log index and SHA-256).
 * Reads the replicas straight over Ratis, so it needs network access to the kv-nodes (as verify-archive's Ratis scan).
 */
@Command(name = "backup", description = "Write a consistent backup of every shard group (each at one log index) into "
    + "a new directory DIR (manifest.json + one data file per group).")
final class BackupCommand extends KvctlCommand {
  @Parameters(index = "0", paramLabel = "DIR", description = "a directory that does not exist yet, or is empty")
  Path dir;

  @Option(names = "--page-size", defaultValue = "2000", description = "records per export page (1..10000; default "
      + "${DEFAULT-VALUE})")
  int pageSize;

  @Option(names = "--progress-s", defaultValue = "1", description = "seconds between progress lines on stderr "
      + "(0: none; default ${DEFAULT-VALUE})")
  int progressS;

  @Override
  public Integer call() {
    if (pageSize < 1 || pageSize > 10_000 || progressS < 0) {
      throw new KvctlException(ExitCodes.USAGE, "--page-size must be 1..10000, --progress-s >= 0");
    }
    boolean created = prepareDirectory();
    ProxyApi api = cluster.api();
    List<Path> written = new ArrayList<>();
    try {
      Topology before = TopologyReader.read(api);
      if (!before.isBootstrapped()) {
        throw new KvctlException(ExitCodes.FOUND_PROBLEMS, "the cluster has no ring yet: nothing to back up");
      }
      before.inFlightMigration().ifPresent(m -> {
        throw new KvctlException(ExitCodes.FOUND_PROBLEMS, "migration " + m.id() + " is in flight (keys are moving"
            + " between groups): back up after it ends");
      });
      Progress progress = new Progress("backup", 0, progressS == 0 ? null : err(), progressS * 1_000_000_000L);
      GroupExporter exporter = new GroupExporter(pageSize, err());
      List<BackupManifest.Group> groups = new ArrayList<>();
      for (String id : before.ringMembers()) {
        ShardGroup g = before.group(id).orElseThrow();
        written.add(dir.resolve(id + ".kvb"));
        try (ShardGroupClient client = TopologyReader.client(g, cluster)) {
          groups.add(exporter.export(id, g.raftName(), client, dir, progress));
        } catch (KvException e) {
          throw new KvctlException(ExitCodes.SERVER_ERROR, "backing up group " + id + " failed: " + e.getMessage(), e);
        }
      }
      progress.finish();
      Topology after = TopologyReader.read(api);
      if (after.epoch() != before.epoch() || !after.ringMembers().equals(before.ringMembers())
          || after.inFlightMigration().isPresent()) {
        throw new KvctlException(ExitCodes.FOUND_PROBLEMS, "the topology changed during the backup (version "
            + before.version() + " -> " + after.version() + ", epoch " + before.epoch() + " -> " + after.epoch()
            + "): run it again");
      }
      BackupManifest manifest = new BackupManifest(BackupManifest.FORMAT, BackupManifest.VERSION,
          Instant.now().toString(), before.version(), before.epoch(), before.ring().vnodes(), before.ringMembers(),
          groups);
      manifest.write(dir);
      print(manifest, progress);
      return ExitCodes.OK;
    } catch (IOException e) {
      cleanUp(written, created);
      throw new KvctlException(ExitCodes.SERVER_ERROR, "cannot write the backup into " + dir + ": " + e, e);
    } catch (RuntimeException e) {
      cleanUp(written, created);
      throw e;
    }
  }

  /** Creates DIR or checks it is an empty directory; true if this run created it. */
  private boolean prepareDirectory() {
    try {
      if (Files.exists(dir)) {
        if (!Files.isDirectory(dir)) {
          throw new KvctlException(ExitCodes.USAGE, dir + " exists and is not a directory");
        }
        try (Stream<Path> s = Files.list(dir)) {
          if (s.findAny().isPresent()) {
            throw new KvctlException(ExitCodes.USAGE, dir + " is not empty: a backup goes into a new or empty"
                + " directory");
          }
        }
        return false;
      }
      Files.createDirectories(dir);
      return true;
    } catch (IOException e) {
      throw new KvctlException(ExitCodes.USAGE, "cannot create " + dir + ": " + e, e);
    }
  }

  /** A failed backup leaves nothing that could be taken for one. */
  private void cleanUp(List<Path> written, boolean created) {
    try {
      for (Path p : written) {
        Files.deleteIfExists(p);
      }
      Files.deleteIfExists(dir.resolve(BackupManifest.FILE + ".tmp"));
      if (created) {
        Files.deleteIfExists(dir);
      }
    } catch (IOException e) {
      err().println("kvctl: warning: could not remove the unfinished backup's files in " + dir + ": " + e);
    }
  }

  private void print(BackupManifest m, Progress progress) {
    if (json()) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("dir", dir.toString());
      out.put("topologyVersion", m.topologyVersion());
      out.put("epoch", m.epoch());
      out.put("groups", m.groups().stream().map(g -> Map.of("id", g.id(), "logIndex", g.logIndex(), "records",
          g.records(), "bytes", g.bytes(), "sha256", g.sha256())).toList());
      out.put("records", m.totalRecords());
      out.put("seconds", progress.seconds());
      out.put("keysPerSecond", progress.rate());
      printJson(out);
      return;
    }
    Table t = new Table("GROUP", "LOG INDEX", "EPOCH", "KEYS", "BYTES", "FILE");
    m.groups().forEach(g -> t.row(g.id(), g.logIndex(), g.epoch(), g.records(), g.bytes(), g.file()));
    t.print(out());
    out().printf("backup of %,d keys at topology version %d (epoch %d) in %s: %.1f s, %,.0f keys/s%n",
        m.totalRecords(), m.topologyVersion(), m.epoch(), dir, progress.seconds(), progress.rate());
  }
}
