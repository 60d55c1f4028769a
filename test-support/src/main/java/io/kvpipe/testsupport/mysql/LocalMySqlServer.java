package io.kvpipe.testsupport.mysql;

import io.kvpipe.testsupport.Poll;

import io.kvpipe.testsupport.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway {@code mariadbd}/{@code mysqld} found on this machine, initialised into a temporary data dir and listening
 * on a free loopback port (socket inside the data dir, so it never touches a system server). Removed at JVM exit.
 * Thread-safe: every state change is synchronized.
 */
public final class LocalMySqlServer implements MySqlServer {
  /** Overrides the binary search. */
  static final String BINARY_ENV = "KVPIPE_TEST_MYSQLD";
  private static final List<String> CANDIDATES = List.of("/usr/sbin/mariadbd", "/usr/sbin/mysqld",
      "/usr/local/mysql/bin/mariadbd", "/usr/local/mysql/bin/mysqld", "/usr/local/bin/mariadbd", "/usr/local/bin/mysqld");
  private static final long START_TIMEOUT_MS = 60_000;

  private final Path binary;
  private final boolean mariadb;
  private final String version;
  private final Path workDir;
  private final Path dataDir;
  private final int port;
  private final boolean durable;
  private Process process;

  private LocalMySqlServer(Path binary, String version, Path workDir, boolean durable) {
    this.binary = binary;
    this.version = version;
    this.mariadb = version.contains("MariaDB");
    this.workDir = workDir;
    this.dataDir = workDir.resolve("data");
    this.port = Ports.freePort();
    this.durable = durable;
  }

  /** The server binary this machine offers, if any. */
  public static Optional<Path> findBinary() {
    List<String> names = new ArrayList<>();
    String env = System.getenv(BINARY_ENV);
    if (env != null && !env.isBlank()) {
      names.add(env);
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty()) {
        names.add(dir + "/mariadbd");
        names.add(dir + "/mysqld");
      }
    }
    names.addAll(CANDIDATES);
    return names.stream().map(Path::of).filter(Files::isExecutable).findFirst();
  }

  /**
   * The durable (benchmark) server's InnoDB sizing, as docker-compose.yml's archive server has it (docs/operations.md,
   * "Archive database settings"): the defaults' 128 MiB buffer pool and 96 MiB redo log made a 500k-event archive run
   * flush and checkpoint all the time (bench-archive: mysqld 22-29 us per event against 20-21 with these). Commits stay
   * durable. {@link #EXTRA_ARGS_ENV} comes after, so a run can still override them.
   */
  static final List<String> DEPLOYMENT_SETTINGS = List.of("--innodb-buffer-pool-size=1G", "--innodb-log-file-size=1G",
      "--innodb-flush-neighbors=0");

  /** Extra options for every server started here, space-separated (e.g. {@code --innodb-buffer-pool-size=1G}). */
  public static final String EXTRA_ARGS_ENV = "KVPIPE_MYSQLD_ARGS";

  /**
   * Initialises and starts a new server. {@code durable} keeps InnoDB's default flush-at-every-commit and sizes it like
   * a deployment ({@link #DEPLOYMENT_SETTINGS}: benchmarks);
   * otherwise commits flush once a second (tests: the data still survives a kill of the server process, not of the OS).
   */
  public static LocalMySqlServer launch(boolean durable) {
    Path bin = findBinary().orElseThrow(() -> new IllegalStateException(
        "no MySQL-compatible server: install mariadb-server (scripts/lib/mysql.sh does), set " + BINARY_ENV
            + ", or set " + EnvMySqlServer.URL_ENV));
    try {
      String version = run(List.of(bin.toString(), "--version"), null).trim();
      Path work = Files.createTempDirectory("kvpipe-mysql-");
      LocalMySqlServer s = new LocalMySqlServer(bin, version, work, durable);
      Runtime.getRuntime().addShutdownHook(new Thread(s::destroy, "kvpipe-mysql-cleanup"));
      s.initialize();
      s.start();
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start a throwaway server from " + bin, e);
    }
  }

  private static boolean runningAsRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** A fresh data dir: a copy of this machine's template for the binary, or a new one (then kept as the template). */
  private void initialize() throws IOException {
    Path template = InitializedDataDirs.template(binary + "\n" + version + "\n" + System.getProperty("user.name"));
    if (InitializedDataDirs.copyTemplate(template, dataDir)) {
      return;
    }
    runInitialize();
    InitializedDataDirs.offer(dataDir, template);
  }

  private void runInitialize() throws IOException {
    List<String> cmd = new ArrayList<>();
    if (mariadb) {
      cmd.add(installDbScript().toString());
      cmd.addAll(List.of("--no-defaults", "--datadir=" + dataDir, "--auth-root-authentication-method=normal",
          "--skip-test-db"));
      Path base = binary.getParent().getParent();
      if (Files.isDirectory(base.resolve("share/mysql")) || Files.isDirectory(base.resolve("share/mariadb"))) {
        cmd.add("--basedir=" + base);
      }
    } else {
      cmd.addAll(List.of(binary.toString(), "--no-defaults", "--initialize-insecure", "--datadir=" + dataDir));
    }
    if (runningAsRoot()) {
      cmd.add("--user=root");
    }
    run(cmd, workDir.resolve("initialize.log"));
  }

  private Path installDbScript() {
    Path dir = binary.getParent();
    Stream<Path> candidates = Stream.of(dir.resolve("mariadb-install-db"), dir.resolve("../bin/mariadb-install-db"),
        dir.resolve("../scripts/mariadb-install-db"), Path.of("/usr/bin/mariadb-install-db"),
        dir.resolve("mysql_install_db"), dir.resolve("../bin/mysql_install_db"), Path.of("/usr/bin/mysql_install_db"));
    return candidates.filter(Files::isExecutable).findFirst()
        .orElseThrow(() -> new IllegalStateException("found " + binary + " but no mariadb-install-db beside it"));
  }

  /** Runs a short command to completion; its output goes to {@code log} (or is returned when {@code log} is null). */
  private static String run(List<String> cmd, Path log) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    if (log != null) {
      pb.redirectOutput(log.toFile());
    }
    Process p = pb.start();
    String out = log == null ? new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8) : "";
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("timed out: " + String.join(" ", cmd));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", cmd), e);
    }
    if (p.exitValue() != 0) {
      String detail = log == null ? out : Files.readString(log);
      throw new IOException("exit " + p.exitValue() + " from " + String.join(" ", cmd) + ":\n" + detail);
    }
    return out;
  }

  @Override
  public synchronized void start() {
    if (process != null && process.isAlive()) {
      return;
    }
    List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--no-defaults", "--datadir=" + dataDir,
        "--port=" + port, "--bind-address=127.0.0.1", "--socket=" + dataDir.resolve("mysqld.sock"),
        "--pid-file=" + dataDir.resolve("mysqld.pid"), "--log-error=" + workDir.resolve("error.log"),
        "--skip-log-bin", "--character-set-server=utf8mb4", "--max-connections=300",
        "--innodb-flush-log-at-trx-commit=" + (durable ? "1" : "2")));
    if (!mariadb) {
      cmd.add("--mysqlx=OFF");
    }
    if (durable) {
      cmd.addAll(DEPLOYMENT_SETTINGS);
    }
    // Extra server options, e.g. a benchmark's buffer pool and redo log sizes; they come last, so they win.
    String extra = System.getenv().getOrDefault(EXTRA_ARGS_ENV, "").trim();
    if (!extra.isEmpty()) {
      cmd.addAll(List.of(extra.split("\\s+")));
    }
    if (runningAsRoot()) {
      cmd.add("--user=root");
    }
    try {
      process = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(workDir.resolve("mysqld.out").toFile())).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + binary, e);
    }
    awaitReady();
  }

  private void awaitReady() {
    try {
      Poll.until("the server to accept connections", Duration.ofMillis(START_TIMEOUT_MS), Duration.ofMillis(100), () -> {
        if (!process.isAlive()) {
          throw new Poll.Abort("server exited with " + process.exitValue() + ":\n" + errorLogTail());
        }
        try (Connection c = DriverManager.getConnection(serverJdbcUrl() + "&connectTimeout=1000", user(), password())) {
          return true;
        } catch (SQLException notYet) {
          return false;
        }
      });
    } catch (AssertionError timedOut) {
      throw new IllegalStateException(timedOut.getMessage() + ":\n" + errorLogTail(), timedOut);
    }
  }

  private String errorLogTail() {
    try {
      List<String> lines = Files.readAllLines(workDir.resolve("error.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no error log: " + e.getMessage() + ")";
    }
  }

  /** Clean shutdown (SIGTERM), waiting until the process is gone and the port is free. */
  @Override
  public synchronized void stop() {
    if (process == null || !process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping the server", e);
    }
  }

  @Override
  public boolean restartable() {
    return true;
  }

  private void destroy() {
    try {
      stop();
    } finally {
      try (Stream<Path> files = Files.walk(workDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        System.err.println("kvpipe: could not remove " + workDir + ": " + e);
      }
    }
  }

  public int port() {
    return port;
  }

  /** The server's OS process id (benchmarks read its CPU time); the server must be running. */
  public synchronized long pid() {
    if (process == null || !process.isAlive()) {
      throw new IllegalStateException("the server is not running");
    }
    return process.pid();
  }

  public String version() {
    return version;
  }

  @Override
  public String description() {
    return "local " + binary + " (" + version + ") on 127.0.0.1:" + port + ", data in " + dataDir;
  }

  @Override
  public String serverJdbcUrl() {
    return jdbcUrl("");
  }

  @Override
  public String jdbcUrl(String database) {
    return "jdbc:mysql://127.0.0.1:" + port + "/" + database + "?sslMode=DISABLED&allowPublicKeyRetrieval=true";
  }

  @Override
  public String user() {
    return "root";
  }

  @Override
  public String password() {
    return "";
  }
}
