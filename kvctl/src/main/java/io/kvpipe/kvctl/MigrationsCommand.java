package io.kvpipe.kvctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kvctl migrations list|watch|throttle|cancel} over {@code /api/migrations}: migrations (add/remove group) and
 * membership changes (add/remove peer), in flight and recent history.
 */
@Command(name = "migrations", description = "Migrations and membership changes: list, watch (progress bar), "
    + "throttle, cancel.",
    subcommands = {MigrationsCommand.ListCommand.class, MigrationsCommand.Watch.class,
        MigrationsCommand.Throttle.class, MigrationsCommand.Cancel.class})
final class MigrationsCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
        "a subcommand is required: list, watch, throttle or cancel");
  }

  static String path(String id) {
    return "/api/migrations/" + ProxyApi.segment(id);
  }

  @Command(name = "list", description = "List migrations in flight and recently finished ones.")
  static final class ListCommand extends KvctlCommand {
    @Override
    public Integer call() {
      List<MigrationView> ms = MigrationView.listOf(cluster.api().get("/api/migrations"));
      if (json()) {
        printJson(ms);
        return ExitCodes.OK;
      }
      if (ms.isEmpty()) {
        out().println("no migrations");
        return ExitCodes.OK;
      }
      Table t = new Table("ID", "KIND", "PHASE", "FROM", "TO", "COPIED", "TOTAL", "DONE", "KEYS/S", "ETA");
      for (MigrationView m : ms) {
        t.row(m.id(), m.kind(), m.phase(), String.join(",", m.sources()), String.join(",", m.targets()),
            m.keysCopied(), m.keysTotal(), String.format(Locale.ROOT, "%.1f%%", 100 * m.fraction()),
            String.format(Locale.ROOT, "%.0f", m.keysPerSecond()), m.eta());
      }
      t.print(out());
      return ExitCodes.OK;
    }
  }

  @Command(name = "watch", description = "Follow a migration (default: all in flight) with a progress bar until it "
      + "ends; exit code 1 if it failed or was cancelled.")
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
      long deadline = timeoutS == 0 ? Long.MAX_VALUE : System.nanoTime() + Duration.ofSeconds(timeoutS).toNanos();
      // Without an id: the migrations seen in flight, so that one which ends between two polls is still reported.
      Set<String> following = new LinkedHashSet<>();
      boolean problems = false;
      while (true) {
        List<MigrationView> ms;
        try {
          ms = id != null ? List.of(MigrationView.of(api.get(path(id))))
              : MigrationView.listOf(api.get("/api/migrations")).stream().filter(m -> !m.ended()).toList();
          if (id == null) {
            Set<String> inFlight = new LinkedHashSet<>();
            ms.forEach(m -> inFlight.add(m.id()));
            for (String gone : following) {
              if (!inFlight.contains(gone)) {
                problems |= ended(MigrationView.of(api.get(path(gone))));
              }
            }
            following.clear();
            following.addAll(inFlight);
          }
        } catch (ApiException e) {
          // 503: the meta group is electing a leader for a moment; a watch outlasts that (its deadline still holds).
          if (e.status() != 503 || System.nanoTime() > deadline) {
            throw e;
          }
          err().println("kvctl: " + e.getMessage() + "; retrying");
          LockSupport.parkNanos(Duration.ofMillis(intervalMs).toNanos());
          continue;
        }
        if (ms.isEmpty()) {
          out().println("no migration in flight");
          return problems ? ExitCodes.FOUND_PROBLEMS : ExitCodes.OK;
        }
        if (id != null && ms.getFirst().ended()) {
          return ended(ms.getFirst()) ? ExitCodes.FOUND_PROBLEMS : ExitCodes.OK;
        }
        ms.forEach(this::print);
        out().flush();
        if (System.nanoTime() > deadline) {
          err().println("kvctl: still in flight after " + timeoutS + " s");
          return ExitCodes.FOUND_PROBLEMS;
        }
        LockSupport.parkNanos(Duration.ofMillis(intervalMs).toNanos()); // the poll interval, not a synchronisation
      }
    }

    private void print(MigrationView m) {
      if (json()) {
        printJson(m);
      } else {
        out().printf(Locale.ROOT, "%s %-13s %s %d/%d keys %.0f keys/s eta %s%n", m.id(), m.phase(),
            MigrationView.progressBar(m.fraction(), 30), m.keysCopied(), m.keysTotal(), m.keysPerSecond(), m.eta());
      }
    }

    /** Prints a migration's end; returns whether it failed or was cancelled. */
    private boolean ended(MigrationView m) {
      print(m);
      out().flush();
      if (m.failed()) {
        err().println("kvctl: migration " + m.id() + " ended " + m.phase() + (m.error() == null ? "" : ": " + m.error()));
      }
      return m.failed();
    }
  }

  @Command(name = "throttle", description = "Change a running migration's copy rate or batch size.")
  static final class Throttle extends KvctlCommand {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Option(names = "--keys-per-second", paramLabel = "N", description = "copy at most N keys/s (0 = unlimited)")
    Long keysPerSecond;

    @Option(names = "--batch-size", paramLabel = "N", description = "records per copy batch (1..10000)")
    Integer batchSize;

    @Override
    public Integer call() {
      if (keysPerSecond == null && batchSize == null) {
        throw new KvctlException(ExitCodes.USAGE, "give --keys-per-second and/or --batch-size");
      }
      if (keysPerSecond != null && keysPerSecond < 0 || batchSize != null && (batchSize < 1 || batchSize > 10_000)) {
        throw new KvctlException(ExitCodes.USAGE, "--keys-per-second must be >= 0 and --batch-size within 1..10000");
      }
      Map<String, Object> body = new LinkedHashMap<>();
      if (keysPerSecond != null) {
        body.put("throttleKeysPerSecond", keysPerSecond);
      }
      if (batchSize != null) {
        body.put("batchSize", batchSize);
      }
      JsonNode r = cluster.api().adminPatch(path(id), body);
      if (json()) {
        printJson(r);
      } else {
        out().println("migration " + id + ": throttle " + r.path("throttleKeysPerSecond").asLong() + " keys/s, batch "
            + r.path("batchSize").asInt());
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "cancel", description = "Cancel a migration still fencing or copying (its moved keys move back).")
  static final class Cancel extends KvctlCommand {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
      JsonNode r = cluster.api().adminPost(path(id) + "/cancel", Map.of());
      if (json()) {
        printJson(r);
      } else {
        out().println("migration " + id + " is being cancelled (phase " + r.path("phase").asText() + ")");
      }
      return ExitCodes.OK;
    }
  }
}
