package io.kvpipe.kvctl;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** kvctl: the admin CLI of kvpipe, over the proxy's HTTP API (and MySQL for verify-archive). */
@Command(name = "kvctl", mixinStandardHelpOptions = true, version = "kvctl 0.1.0",
    description = "Administer a kvpipe cluster through its proxy.",
    subcommands = {StatusCommand.class, TopologyCommand.class, NodesCommand.class, GroupsCommand.class,
        PeersCommand.class, MigrationsCommand.class, SnapshotToKafkaCommand.class, BackupCommand.class,
        RestoreCommand.class, VerifyArchiveCommand.class, SqlCommand.class,
        ArchiveAccountsCommand.class, WatchCommand.class,
        CommandLine.HelpCommand.class},
    footer = {"", "Exit codes: 0 ok, 1 problems found (differences, nodes down), 2 bad arguments, "
        + "3 proxy/MySQL unreachable or refused the request."})
public final class Kvctl implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
  }

  /** The configured command line (tests call {@link CommandLine#execute} on it with their own writers). */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new Kvctl());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof KvctlException k) {
        commandLine.getErr().println("kvctl: " + k.getMessage());
        commandLine.getErr().flush();
        if (k.exitCode() == ExitCodes.USAGE) {
          commandLine.getErr().println("Try '" + commandLine.getCommandSpec().qualifiedName() + " --help'.");
          commandLine.getErr().flush();
        }
        return k.exitCode();
      }
      throw e;
    });
    return cl;
  }

  public static void main(String[] args) {
    // gRPC (under Ratis, for verify-archive) logs through java.util.logging; keep it to warnings like everything else.
    java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    System.exit(commandLine(out, err).execute(args));
  }
}
