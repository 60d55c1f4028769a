package io.kvpipe.kvctl;

import io.kvpipe.testsupport.Ports;
import io.kvpipe.testsupport.mysql.MySqlServer;
import io.kvpipe.testsupport.mysql.MySqlServers;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code scripts/dev-stack.sh up} started from a test, in its own directory, against the class paths this build wrote,
 * and stopped with {@code down}. Every port is free and chosen at random, except the kv-nodes' Ratis ports when the
 * caller asks for the documented defaults (docs name them: {@code n1@127.0.0.1:7001}).
 */
final class DevStack {
  /** The block of ports the docs name for n1..n9's Ratis servers. */
  static final int DOCUMENTED_NODE_PORT_BASE = 7001;

  private final Path root;
  private final Path dir;
  private final Map<String, String> settings = new HashMap<>();
  private final List<Long> startedPids = new ArrayList<>();
  private Map<String, String> stackEnv;

  private DevStack(Path root, Path dir) {
    this.root = root;
    this.dir = dir;
  }

  /** A stack on random free ports (room for n4, n5 beside n1..n3). */
  static DevStack up(Path dir) throws Exception {
    return up(dir, Ports.freeBlock(9));
  }

  /**
   * A stack whose kv-nodes listen from {@code nodePortBase} (n1..n3, then n4..n9 added); fails naming the port when
   * one of the nine is taken.
   */
  static DevStack upWithNodePorts(Path dir, int nodePortBase) throws Exception {
    for (int i = 0; i < 9; i++) {
      if (!free(nodePortBase + i)) {
        throw new IllegalStateException("port " + (nodePortBase + i) + " is taken: this test runs the dev stack on "
            + "the kv-node ports the docs name (" + nodePortBase + "..); stop what listens there");
      }
    }
    return up(dir, nodePortBase);
  }

  private static DevStack up(Path dir, int nodePortBase) throws Exception {
    DevStack s = new DevStack(RepoFiles.root(), dir);
    s.start(nodePortBase);
    return s;
  }

  private void start(int nodePortBase) throws Exception {
    settings.put("KVPIPE_DEVSTACK_DIR", stackDir().toString());
    settings.put("KVPIPE_DEVSTACK_BUILD", "never"); // this build already compiled and packaged every module
    settings.put("KVPIPE_DEVSTACK_PROXY_PORT", String.valueOf(Ports.freePort()));
    settings.put("KVPIPE_DEVSTACK_RESP_PORT", String.valueOf(Ports.freePort()));
    settings.put("KVPIPE_DEVSTACK_KAFKA_PORT", String.valueOf(Ports.freePort()));
    settings.put("KVPIPE_DEVSTACK_KAFKA_CONTROLLER_PORT", String.valueOf(Ports.freePort()));
    settings.put("KVPIPE_DEVSTACK_MYSQL_PORT", String.valueOf(Ports.freePort()));
    settings.put("KVPIPE_DEVSTACK_NODE_PORT_BASE", String.valueOf(nodePortBase));
    settings.put("KVPIPE_DEVSTACK_NODE_METRICS_PORT_BASE", String.valueOf(Ports.freeBlock(9)));
    settings.put("KVPIPE_DEVSTACK_CONSUMER_METRICS_PORT", String.valueOf(Ports.freePort()));
    settings.put("KVPIPE_DEVSTACK_JVM_OPTS", "-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    settings.put("KVPIPE_DEVSTACK_NODE_JVM_OPTS", "-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    // Class-data sharing across the stack starts of this build (DocCommandsIT alone starts it five times).
    String cds = System.getProperty("kvpipe.child.cds.dir", "");
    if (!cds.isBlank() && Boolean.parseBoolean(System.getProperty("kvpipe.child.cds", "true"))) {
      settings.put("KVPIPE_DEVSTACK_CDS_DIR", Path.of(cds, "dev-stack").toAbsolutePath().toString());
    }
    chooseMySql();
    Result r = run(600, "scripts/dev-stack.sh", "up");
    if (r.code != 0 || !r.output.contains("dev-stack: ready")) {
      // What up did start must not outlive the test (its directory is deleted after it, the processes would stay).
      Result down = run(180, "scripts/dev-stack.sh", "down");
      throw new IllegalStateException("dev-stack.sh up failed (exit " + r.code + "):\n" + r.output
          + "\n(then dev-stack.sh down: exit " + down.code + ")");
    }
    stackEnv = readEnv(envFile());
    try (Stream<Path> pids = Files.list(stackDir().resolve("pids"))) {
      for (Path p : pids.toList()) {
        startedPids.add(Long.parseLong(Files.readString(p).trim()));
      }
    }
  }

  /** The stack's own throwaway mariadbd/mysqld if the machine has one, else the test fixture's server. */
  private void chooseMySql() {
    boolean localBinary = Stream.of("/usr/sbin/mariadbd", "/usr/sbin/mysqld", "/usr/local/mysql/bin/mysqld")
        .anyMatch(p -> Files.isExecutable(Path.of(p)));
    if (System.getenv("KVPIPE_TEST_JDBC_URL") == null && localBinary && System.getenv("KVPIPE_TEST_MYSQLD") == null) {
      return;
    }
    MySqlServer server = MySqlServers.shared();
    String db = "kvpipe_devstack_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffL);
    settings.put("KVPIPE_DEVSTACK_JDBC_URL", server.jdbcUrl(db));
    settings.put("KVPIPE_DEVSTACK_JDBC_USER", server.user());
    settings.put("KVPIPE_DEVSTACK_JDBC_PASSWORD", server.password() == null ? "" : server.password());
  }

  Path root() {
    return root;
  }

  Path stackDir() {
    return dir.resolve("stack");
  }

  /** The env file {@code up} wrote (the docs' {@code .devstack/env}). */
  Path envFile() {
    return stackDir().resolve("env");
  }

  /** The variables of the env file. */
  Map<String, String> env() {
    return stackEnv;
  }

  /** The dev-stack settings this stack was started with ({@code KVPIPE_DEVSTACK_*}). */
  Map<String, String> settings() {
    return settings;
  }

  String proxyUrl() {
    return stackEnv.get("KVPIPE_PROXY_URL");
  }

  /** Records a process started later (an added node) that {@link #down()} must find stopped. */
  void started(long pid) {
    startedPids.add(pid);
  }

  List<Long> startedPids() {
    return startedPids;
  }

  /** {@code dev-stack.sh down}; returns the pids of started processes still running afterwards. */
  List<Long> down() throws Exception {
    Result r = run(180, "scripts/dev-stack.sh", "down");
    if (r.code != 0) {
      throw new IllegalStateException("dev-stack.sh down failed (exit " + r.code + "):\n" + r.output);
    }
    List<Long> left = new ArrayList<>();
    for (long pid : startedPids) {
      if (running(pid)) {
        left.add(pid);
      }
    }
    return left;
  }

  /**
   * Every live process whose command line names this stack's directory (what the stack started: its JVMs, the broker,
   * mariadbd), by pid, with its command line; read from the process table, not from the stack's pid files.
   */
  Map<Long, String> processesNamingTheStackDir() throws IOException {
    Map<Long, String> out = new HashMap<>();
    String needle = stackDir().toString();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.filter(q -> q.getFileName().toString().matches("\\d+")).toList()) {
        long pid = Long.parseLong(p.getFileName().toString());
        String cmdline;
        try {
          cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException gone) {
          continue;
        }
        if (cmdline.contains(needle) && running(pid)) {
          out.put(pid, cmdline);
        }
      }
    }
    return out;
  }

  /** The pids the stack's pid files name ({@code pids/<process>.pid}). */
  Map<String, Long> pidFiles() throws IOException {
    Map<String, Long> out = new HashMap<>();
    Path pids = stackDir().resolve("pids");
    if (!Files.isDirectory(pids)) {
      return out;
    }
    try (Stream<Path> files = Files.list(pids)) {
      for (Path f : files.filter(q -> q.getFileName().toString().endsWith(".pid")).toList()) {
        String name = f.getFileName().toString();
        try {
          out.put(name.substring(0, name.length() - 4), Long.parseLong(Files.readString(f).trim()));
        } catch (java.nio.file.NoSuchFileException | NumberFormatException gone) {
          // removed (or being written) meanwhile
        }
      }
    }
    return out;
  }

  /** The running processes of this stack that no pid file names (a later {@code down} would not stop them). */
  Map<Long, String> untrackedProcesses() throws IOException {
    Map<Long, String> untracked = new HashMap<>(processesNamingTheStackDir());
    untracked.keySet().removeAll(pidFiles().values());
    return untracked;
  }

  /** True while every process of the stack runs (as {@code dev-stack.sh status} sees it, from the pid files). */
  boolean running() throws IOException {
    Map<String, Long> pids = pidFiles();
    List<String> procs = new ArrayList<>(List.of("kafka", "kv-node-n1", "kv-node-n2", "kv-node-n3", "proxy",
        "cdc-consumer"));
    if (!settings.containsKey("KVPIPE_DEVSTACK_JDBC_URL")) {
      procs.add("mysql");
    }
    for (String p : procs) {
      if (!pids.containsKey(p) || !running(pids.get(p))) {
        return false;
      }
    }
    return true;
  }

  /** Starts a repository script with the stack's settings without waiting for it; its output goes to the file. */
  Process start(Path output, String... command) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("bash"));
    cmd.add(root.resolve(command[0]).toString());
    cmd.addAll(List.of(command).subList(1, command.length));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true)
        .redirectOutput(output.toFile());
    environment(pb.environment());
    return pb.start();
  }

  /** True while the process exists and has not exited: an exited one may stay a zombie until init reaps it. */
  static boolean running(long pid) throws IOException {
    Path stat = Path.of("/proc/" + pid + "/stat");
    if (!Files.exists(stat)) {
      return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false); // no procfs: ask the JDK
    }
    try {
      String s = Files.readString(stat);
      return !s.substring(s.lastIndexOf(')') + 2).startsWith("Z");
    } catch (java.nio.file.NoSuchFileException gone) {
      return false;
    }
  }

  record Result(int code, String output) {}

  /**
   * The environment a command against this stack gets: the caller's minus its own {@code KVPIPE_*}, plus the stack's
   * settings and env file, and this JVM's JDK.
   */
  void environment(Map<String, String> e) {
    e.keySet().removeIf(k -> k.startsWith("KVPIPE_") && !k.equals("KVPIPE_TEST_MYSQLD"));
    e.putAll(settings);
    if (stackEnv != null) {
      e.putAll(stackEnv);
    }
    e.put("JAVA_HOME", System.getProperty("java.home"));
  }

  /** Runs a repository script with the stack's settings (and, once written, its env file) in the environment. */
  Result run(long timeoutS, String... command) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("bash"));
    cmd.add(root.resolve(command[0]).toString());
    cmd.addAll(List.of(command).subList(1, command.length));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true);
    environment(pb.environment());
    Files.createDirectories(dir);
    Path log = Files.createTempFile(dir, "script-", ".log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish in " + timeoutS + " s:\n"
          + Files.readString(log));
    }
    return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  private static Map<String, String> readEnv(Path file) throws IOException {
    Map<String, String> out = new HashMap<>();
    for (String line : Files.readAllLines(file)) {
      if (line.startsWith("export ")) {
        String kv = line.substring("export ".length());
        int eq = kv.indexOf('=');
        out.put(kv.substring(0, eq), kv.substring(eq + 1).replaceAll("^'|'$", ""));
      }
    }
    return out;
  }

  /** A base port with {@code n} consecutive free ports (the dev stack numbers kv-nodes from a base). */
  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return true;
    } catch (IOException taken) {
      return false;
    }
  }
}
