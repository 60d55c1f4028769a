package io.kvpipe.kvctl;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kvctl migrations list|watch}. Reads {@code GET /api/migrations}; a proxy without that endpoint still has the
 * migrations in its topology snapshot, which is used instead (said on stderr).
 */
@Command(name = "migrations", description = "Migrations in flight (list, or watch with a progress bar).",
    subcommands = {MigrationsCommand.ListCommand.class, MigrationsCommand.Watch.class})
final class MigrationsCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: list or watch");
  }

  static List<MigrationView> fetch(ProxyApi api, java.io.PrintWriter err, boolean[] warned) {
    try {
      return MigrationView.listOf(api.get("/api/migrations"));
    } catch (ApiException e) {
      if (!e.missingEndpoint()) {
        throw e;
      }
      if (!warned[0]) {
        err.println("kvctl: the proxy has no /api/migrations; reading migrations from its topology snapshot");
        err.flush();
        warned[0] = true;
      }
      return MigrationView.listOf(api.get("/api/topology/snapshot"));
    }
  }

  @Command(name = "list", description = "List migrations in flight.")
  static final class ListCommand extends KvctlCommand {
    @Override
    public Integer call() {
      List<MigrationView> ms = fetch(cluster.api(), err(), new boolean[1]);
      if (json()) {
        printJson(ms);
        return ExitCodes.OK;
      }
      if (ms.isEmpty()) {
        out().println("no migration in flight");
        return ExitCodes.OK;
      }
      Table t = new Table("ID", "KIND", "PHASE", "FROM", "TO", "COPIED", "TOTAL", "DONE");
      for (MigrationView m : ms) {
        t.row(m.id(), m.kind(), m.phase(), String.join(",", m.sources()), String.join(",", m.targets()),
            m.keysCopied(), m.keysTotal(), String.format(Locale.ROOT, "%.1f%%", 100 * m.fraction()));
      }
      t.print(out());
      return ExitCodes.OK;
    }
  }

  @Command(name = "watch", description = "Follow migrations with a progress bar until they finish.")
  static final class Watch extends KvctlCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "ID", description = "one migration (default: all)")
    String id;

    @Option(names = "--interval-ms", defaultValue = "1000", description = "poll interval (default ${DEFAULT-VALUE})")
    long intervalMs;

    @Option(names = "--timeout-s", defaultValue = "0", description = "give up after this long (0 = never)")
    long timeoutS;

    @Override
    public Integer call() {
      if (intervalMs < 50 || timeoutS < 0) {
        throw new KvctlException(ExitCodes.USAGE, "--interval-ms must be >= 50 and --timeout-s >= 0");
      }
      ProxyApi api = cluster.api();
      boolean[] warned = new boolean[1];
      long deadline = timeoutS == 0 ? Long.MAX_VALUE : System.nanoTime() + Duration.ofSeconds(timeoutS).toNanos();
      Map<String, long[]> last = new HashMap<>(); // id -> {nanoTime, keysCopied}, for the rate
      boolean seen = false;
      while (true) {
        List<MigrationView> ms = fetch(api, err(), warned).stream()
            .filter(m -> id == null || m.id().equals(id)).toList();
        if (ms.isEmpty()) {
          out().println(seen || id == null ? "no migration in flight" + (seen ? ": done" : "")
              : "migration " + id + " is not in flight (finished or unknown)");
          return ExitCodes.OK;
        }
        seen = true;
        long now = System.nanoTime();
        for (MigrationView m : ms) {
          long[] prev = last.put(m.id(), new long[] {now, m.keysCopied()});
          double rate = prev == null || now == prev[0] ? 0 : (m.keysCopied() - prev[1]) * 1e9 / (now - prev[0]);
          if (json()) {
            printJson(m);
          } else {
            out().printf(Locale.ROOT, "%s %-12s %s %d/%d keys %.0f keys/s%n", m.id(), m.phase(),
                MigrationView.progressBar(m.fraction(), 30), m.keysCopied(), m.keysTotal(), rate);
          }
          if (m.failed()) {
            err().println("kvctl: migration " + m.id() + " ended in phase " + m.phase());
            return ExitCodes.FOUND_PROBLEMS;
          }
        }
        out().flush();
        if (System.nanoTime() > deadline) {
          err().println("kvctl: migrations still in flight after " + timeoutS + " s");
          return ExitCodes.FOUND_PROBLEMS;
        }
        LockSupport.parkNanos(Duration.ofMillis(intervalMs).toNanos()); // the poll interval, not a synchronisation
      }
    }
  }
}
