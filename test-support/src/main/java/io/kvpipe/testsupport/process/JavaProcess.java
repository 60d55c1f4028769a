package io.kvpipe.testsupport.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A Java main class run as a separate OS process, so tests and benchmarks can {@code kill -9} it. Output goes to a log
 * file (never to the parent's pipes, which would block the child when full). The child runs under
 * {@link OrphanGuard}, so it exits when this JVM dies, even by kill -9. Not thread-safe: one owner drives it.
 */
public final class JavaProcess implements AutoCloseable {
  private final Spec spec;
  /** Run before {@code java}, e.g. {@code ip netns exec <ns>} (which execs in place: the pid stays the JVM's). */
  private final List<String> launcher;
  private Process process;
  /**
   * Whether this owner asked the current run to end (stop, kill9): an exit it did not ask for is a crash, an OOM kill
   * or a System.exit, and is what a failing test most needs to say (see {@link #describe()}).
   */
  private boolean endAsked;
  /** The log's length when the current run started (a restart appends to the same file). */
  private long logStart;
  /** Class-data sharing of the current run ({@link ChildCds}): whether it writes the archive at exit. */
  private ChildCds.Plan cds = ChildCds.Plan.none(null);

  private JavaProcess(Spec spec, List<String> launcher) {
    this.spec = spec;
    this.launcher = List.copyOf(launcher);
  }

  /** What to run. {@code classPath} defaults to this JVM's class path; {@code java} to this JVM's binary. */
  public record Spec(String mainClass, List<String> args, List<String> jvmArgs, Map<String, String> env,
                     String classPath, Path logFile) {
    public Spec {
      Objects.requireNonNull(mainClass, "mainClass");
      Objects.requireNonNull(logFile, "logFile");
      args = List.copyOf(args);
      jvmArgs = List.copyOf(jvmArgs);
      env = Map.copyOf(env);
      classPath = classPath != null ? classPath : System.getProperty("java.class.path");
    }
  }

  public static Builder builder(String mainClass) {
    return new Builder(mainClass);
  }

  public static final class Builder {
    private final String mainClass;
    private final List<String> args = new ArrayList<>();
    private final List<String> jvmArgs = new ArrayList<>(List.of("-Xmx512m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED"));
    private final Map<String, String> env = new TreeMap<>();
    private String classPath;
    private Path logFile;
    private final List<String> launcher = new ArrayList<>();

    private Builder(String mainClass) {
      this.mainClass = mainClass;
    }

    public Builder args(String... a) {
      args.addAll(List.of(a));
      return this;
    }

    public Builder args(List<String> a) {
      args.addAll(a);
      return this;
    }

    /** Replaces the default JVM options (small heap, serial GC, C1 only: quick to start, light on 2 cores). */
    public Builder jvmArgs(String... a) {
      jvmArgs.clear();
      jvmArgs.addAll(List.of(a));
      return this;
    }

    public Builder env(String key, String value) {
      env.put(key, value);
      return this;
    }

    public Builder classPath(String cp) {
      this.classPath = cp;
      return this;
    }

    public Builder logFile(Path file) {
      this.logFile = file;
      return this;
    }

    /**
     * A command that runs the JVM, e.g. {@code ip netns exec kvp-n1} to start it in a network namespace; it must exec
     * the rest of its command line in place, so signals reach the JVM.
     */
    public Builder launcher(List<String> command) {
      launcher.clear();
      launcher.addAll(command);
      return this;
    }

    public JavaProcess build() {
      return new JavaProcess(new Spec(mainClass, args, jvmArgs, env, classPath, logFile), launcher);
    }
  }

  /** Starts the process (again, after a stop or kill: same command, same log file, appended). */
  public synchronized JavaProcess start() {
    if (isAlive()) {
      throw new IllegalStateException(spec.mainClass() + " is already running (pid " + process.pid() + ")");
    }
    List<String> cmd = new ArrayList<>(launcher);
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(spec.jvmArgs());
    ChildCds.Plan plan = ChildCds.plan(spec.mainClass(), spec.jvmArgs(),
        spec.classPath() + java.io.File.pathSeparator + guardLocation());
    cmd.addAll(plan.jvmArgs());
    cmd.add("-cp");
    cmd.add(plan.classPath());
    cmd.add(OrphanGuard.class.getName());
    cmd.add(spec.mainClass());
    cmd.addAll(spec.args());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(spec.logFile().toFile()));
    pb.environment().putAll(spec.env());
    try {
      Files.createDirectories(spec.logFile().toAbsolutePath().getParent());
      logStart = Files.exists(spec.logFile()) ? Files.size(spec.logFile()) : 0;
      process = pb.start();
      endAsked = false;
    } catch (IOException e) {
      if (plan.writes() != null) {
        ChildCds.written(plan);
      }
      throw new UncheckedIOException("cannot start " + spec.mainClass(), e);
    }
    cds = plan;
    if (plan.writes() != null) {
      process.onExit().thenRun(() -> ChildCds.written(plan));
    }
    return this;
  }

  /** Where OrphanGuard's class comes from (this module's jar or classes), for class paths that lack it. */
  private static String guardLocation() {
    try {
      return Path.of(OrphanGuard.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException("cannot locate test-support's classes", e);
    }
  }

  public synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  public synchronized long pid() {
    if (process == null) {
      throw new IllegalStateException("not started");
    }
    return process.pid();
  }

  /**
   * SIGTERM without waiting, so that several processes shut down at once: ask each, then {@link #stop} each, which
   * then only waits (a cluster's nodes took ~2 s each to stop one after the other, ~7 s for three on a busy box).
   */
  public synchronized void askStop() {
    if (process == null || !process.isAlive() || endAsked) {
      return;
    }
    endAsked = true;
    sigterm();
  }

  /**
   * SIGTERM through the process handle, not {@link Process#destroy()}: that also closes this end of the child's stdin,
   * which {@link OrphanGuard} reads as its parent gone and answers with {@code System.exit(1)}, racing the SIGTERM's
   * own exit (143): a child asked to stop then exited with either code (seen in JavaProcessStateTest under load). Its
   * stdin is closed once it has exited ({@link #waitFor}).
   */
  private void sigterm() {
    process.toHandle().destroy();
  }

  /** SIGKILL: no shutdown hooks, no flush; waits until the OS has reaped the process. */
  public synchronized void kill9() {
    if (process == null) {
      return;
    }
    endAsked = true;
    process.destroyForcibly();
    waitFor(Duration.ofSeconds(30));
  }

  /** SIGTERM, then SIGKILL if it has not exited within {@code grace} (counted from here, also after {@link #askStop}). */
  public synchronized void stop(Duration grace) {
    if (process == null || !process.isAlive()) {
      return;
    }
    if (!endAsked) {
      endAsked = true;
      sigterm();
    }
    // A child that writes its class-data archive at exit does so after its shutdown hooks: give it the time.
    if (!waitFor(cds.writes() != null ? grace.plus(ChildCds.DUMP_ALLOWANCE) : grace)) {
      process.destroyForcibly();
      waitFor(Duration.ofSeconds(30));
    }
  }

  /** Waits up to {@code d} for the process to exit; true if it has. */
  public synchronized boolean awaitExit(Duration d) {
    return process == null || waitFor(d);
  }

  private boolean waitFor(Duration d) {
    try {
      boolean exited = process.waitFor(d.toMillis(), TimeUnit.MILLISECONDS);
      if (exited) {
        closeStdin();
      }
      return exited;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + spec.mainClass(), e);
    }
  }

  /** Releases this end of an exited child's stdin (nobody reads it any more; a test starts many children). */
  private void closeStdin() {
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // Nothing to release then: the pipe is already gone with the child.
    }
  }

  /**
   * Whether the current run ended without this owner asking (it crashed, was killed from outside, e.g. by the kernel's
   * OOM killer, or exited by itself).
   */
  public synchronized boolean exitedUnasked() {
    return process != null && !process.isAlive() && !endAsked;
  }

  /**
   * The process's state in words, for failure messages: "not started", "alive (pid N)", or how it exited and whether
   * this owner asked it to: "EXITED UNASKED with code 137 (killed by signal 9, SIGKILL: e.g. the kernel's OOM killer)".
   */
  public synchronized String describe() {
    if (process == null) {
      return "not started";
    }
    if (process.isAlive()) {
      return "alive (pid " + process.pid() + ")";
    }
    int code = process.exitValue();
    return (endAsked ? "stopped by the test" : "EXITED UNASKED") + " (pid " + process.pid() + ") with code " + code
        + exitMeaning(code);
  }

  /** What an exit code says beyond itself: above 128, the signal that ended the JVM (as the shell reports it). */
  static String exitMeaning(int code) {
    return switch (code) {
      case 0 -> "";
      case 1 -> " (System.exit(1): a failed start, or OrphanGuard after the parent went away)";
      case 134 -> " (killed by signal 6, SIGABRT: a JVM crash; look for hs_err_pid*.log in its working directory)";
      case 137 -> " (killed by signal 9, SIGKILL: kill -9, or the kernel's OOM killer; see dmesg)";
      case 139 -> " (killed by signal 11, SIGSEGV: a JVM crash)";
      case 143 -> " (killed by signal 15, SIGTERM)";
      default -> code > 128 ? " (killed by signal " + (code - 128) + ")" : "";
    };
  }

  public Path logFile() {
    return spec.logFile();
  }

  /** What the current run has logged so far (not what earlier runs appended to the same file). */
  public synchronized String logSinceStart() {
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(spec.logFile().toFile(), "r")) {
      long from = Math.min(logStart, f.length());
      byte[] b = new byte[(int) Math.min(Integer.MAX_VALUE - 8, f.length() - from)];
      f.seek(from);
      f.readFully(b);
      return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** The last {@code lines} lines of the log, for assertion messages. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(spec.logFile());
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(10));
  }
}
