package io.kvpipe.kvctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvpipe.common.topology.ShardGroup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kvctl verify-archive}: every live key's version in the store against {@code kv_current}. Exit 0 when they
 * agree, 1 when they differ (after {@code --wait-s}, for a pipeline that is still catching up).
 */
@Command(name = "verify-archive", description = "Compare every live key's version in the store with kv_current in "
    + "MySQL (exit 0 consistent, 1 differences).")
final class VerifyArchiveCommand extends KvctlCommand {
  enum Source { auto, proxy, ratis }

  @Mixin
  MysqlOptions mysql;

  @Option(names = "--source", defaultValue = "auto", description = "how to read the store: proxy (scan endpoint), "
      + "ratis (straight from the replicas), auto (proxy if it has the endpoint, else ratis); default ${DEFAULT-VALUE}")
  Source source;

  @Option(names = "--wait-s", defaultValue = "0", description = "retry for up to this long while the archive "
      + "catches up (default ${DEFAULT-VALUE})")
  long waitS;

  @Option(names = "--page-size", defaultValue = "1000", description = "records per scan page (default ${DEFAULT-VALUE})")
  int pageSize;

  @Option(names = "--max-listed", defaultValue = "20", description = "differences listed (all are counted; "
      + "default ${DEFAULT-VALUE})")
  int maxListed;

  @Override
  public Integer call() {
    if (waitS < 0 || pageSize < 1 || pageSize > 10_000 || maxListed < 0) {
      throw new KvctlException(ExitCodes.USAGE, "--wait-s must be >= 0, --page-size 1..10000, --max-listed >= 0");
    }
    mysql.jdbcUrl(); // validates the MySQL options before any request
    mysql.user();
    ProxyApi api = cluster.api();
    long deadline = System.nanoTime() + Duration.ofSeconds(waitS).toNanos();
    while (true) {
      // A moving key exists on its old and new owner until the migration purges it: compare only a settled store.
      String moving = migrationInFlight(api);
      if (moving != null) {
        if (System.nanoTime() >= deadline) {
          err().println("kvctl: migration " + moving + " is in flight; verify the archive after it ends");
          return ExitCodes.FOUND_PROBLEMS;
        }
        LockSupport.parkNanos(Duration.ofMillis(500).toNanos()); // poll interval while the migration runs
        continue;
      }
      Outcome o = compareOnce(api);
      if (o.result.consistent() || System.nanoTime() >= deadline) {
        print(o);
        return o.result.consistent() ? ExitCodes.OK : ExitCodes.FOUND_PROBLEMS;
      }
      LockSupport.parkNanos(Duration.ofMillis(500).toNanos()); // poll interval while the archive catches up
    }
  }

  /** The id of a group migration in flight, or null. A proxy without the migrations API has none to report. */
  private static String migrationInFlight(ProxyApi api) {
    try {
      return MigrationView.listOf(api.get("/api/migrations")).stream()
          .filter(m -> !m.ended() && m.kind().endsWith("-group")).map(MigrationView::id).findFirst().orElse(null);
    } catch (ApiException e) {
      if (e.missingEndpoint()) {
        return null;
      }
      throw e;
    }
  }

  private record Outcome(ArchiveComparison.Result result, String from, List<String> groups) {}

  private Outcome compareOnce(ProxyApi api) {
    JsonNode topology = api.get("/api/topology/snapshot");
    ArchiveComparison cmp = new ArchiveComparison();
    List<String> groups = new ArrayList<>();
    String from = null;
    for (JsonNode g : topology.path("groups")) {
      String id = g.path("id").asText();
      List<String> peers = Json.strings(g.path("peers"));
      groups.add(id);
      from = scanGroup(api, id, ShardGroup.raftName(id, g.path("incarnation").asLong(0)), peers, cmp);
    }
    return new Outcome(cmp.compare(ArchiveReader.currentRows(mysql), maxListed), from, groups);
  }

  /** Scans one group with the chosen source; in auto mode falls back to Ratis when the proxy lacks the endpoint. */
  private String scanGroup(ProxyApi api, String group, String raftGroup, List<String> peers, ArchiveComparison cmp) {
    if (source != Source.ratis) {
      ProxyScanner proxy = new ProxyScanner(api, pageSize);
      try {
        proxy.scan(group, peers, cmp::addStore);
        return proxy.description();
      } catch (ApiException e) {
        if (source == Source.proxy || !e.missingEndpoint()) {
          throw e;
        }
      }
    }
    RatisScanner ratis = new RatisScanner(pageSize, Duration.ofMillis(cluster.timeoutMs), cluster.raftTls());
    ratis.scan(raftGroup, peers, cmp::addStore);
    return ratis.description();
  }

  private void print(Outcome o) {
    ArchiveComparison.Result r = o.result;
    if (json()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("consistent", r.consistent());
      m.put("groups", o.groups);
      m.put("source", o.from);
      m.put("storeLiveKeys", r.storeLiveKeys());
      m.put("archiveLiveKeys", r.archiveLiveKeys());
      m.put("differenceCount", r.differenceCount());
      m.put("differences", r.differences().stream().map(d -> {
        Map<String, Object> dm = new LinkedHashMap<>();
        dm.put("kind", d.kind().name());
        dm.put("key", KeyState.display(d.key()));
        dm.put("storeVersion", d.storeVersion());
        dm.put("archiveVersion", d.archiveVersion());
        return dm;
      }).toList());
      printJson(m);
      return;
    }
    out().printf("store: %d live keys in groups %s (%s); archive kv_current: %d live keys%n", r.storeLiveKeys(),
        o.groups, o.from == null ? "no groups" : o.from, r.archiveLiveKeys());
    if (r.consistent()) {
      out().println("consistent: every live key has the same version in the store and in kv_current");
      return;
    }
    out().println("NOT consistent: " + r.differenceCount() + " difference(s)"
        + (r.differenceCount() > r.differences().size() ? ", first " + r.differences().size() + ":" : ":"));
    Table t = new Table("KIND", "KEY", "STORE VERSION", "ARCHIVE VERSION");
    r.differences().forEach(d -> t.row(d.kind(), KeyState.display(d.key()), d.storeVersion(), d.archiveVersion()));
    t.print(out());
  }
}
