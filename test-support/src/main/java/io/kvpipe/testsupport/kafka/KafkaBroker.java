package io.kvpipe.testsupport.kafka;

import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.Ports;
import io.kvpipe.testsupport.process.JavaProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A real Apache Kafka broker (KRaft, one combined broker + controller node) in a child JVM on free loopback ports,
 * formatted into a fresh data directory. {@link #restart()} brings it back on the same ports and data, so tests can
 * take Kafka away mid-load and return it. All methods are synchronized: one fixture, any thread.
 *
 * <pre>{@code
 * try (KafkaBroker kafka = KafkaBroker.start(tempDir)) {
 *   producerProps.put("bootstrap.servers", kafka.bootstrapServers());
 *   kafka.stop();     // clean shutdown (SIGTERM)
 *   kafka.restart();  // same port, same data; returns once the broker serves requests
 * }
 * }</pre>
 */
public final class KafkaBroker implements AutoCloseable {
  /** Generous: the broker JVM needs ~5-8 s on an idle box, much more on 2 busy cores. */
  public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration STOP_GRACE = Duration.ofSeconds(30);
  private static final int START_ATTEMPTS = 3;

  /**
   * The JVM options Kafka's own launcher ({@code kafka-server-start.sh}) starts a broker with: G1 and a fixed 1 GiB
   * heap, full JIT. Benchmarks run their broker so, as a deployment would.
   */
  public static final List<String> KAFKA_LAUNCHER_JVM = List.of("-Xms1g", "-Xmx1g", "-XX:+UseG1GC",
      "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent");
  /**
   * Tests' broker: the C1 compiler only and a small serial heap. It starts in about half the time and tests send it
   * little; its per-request CPU is not what a deployment's broker spends, so benchmarks use {@link #KAFKA_LAUNCHER_JVM}.
   */
  public static final List<String> TEST_JVM = List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  private final Path workDir;
  private final Map<String, String> overrides;
  private final Duration startTimeout;
  private final List<String> jvm;
  private BrokerConfigFiles config;
  private JavaProcess process;
  /** Shared by the test classes of this JVM ({@link KafkaBrokerExtension#shared()}): not to be stopped by one. */
  private boolean shared;

  private KafkaBroker(Path workDir, Map<String, String> overrides, Duration startTimeout, List<String> jvm) {
    this.workDir = workDir.toAbsolutePath();
    this.overrides = Map.copyOf(overrides);
    this.startTimeout = startTimeout;
    this.jvm = List.copyOf(jvm);
  }

  /** Formats a fresh broker under {@code workDir} (its {@code data} dir is wiped), starts it, waits until ready. */
  public static KafkaBroker start(Path workDir) {
    return start(workDir, Map.of(), DEFAULT_START_TIMEOUT);
  }

  /** As {@link #start(Path)}, with extra or replaced broker properties (see {@link BrokerConfigFiles#properties()}). */
  public static KafkaBroker start(Path workDir, Map<String, String> brokerOverrides, Duration startTimeout) {
    return start(workDir, brokerOverrides, startTimeout, TEST_JVM);
  }

  /** As {@link #start(Path, Map, Duration)}, the broker's JVM started with {@code jvm} (heap, collector, JIT). */
  public static KafkaBroker start(Path workDir, Map<String, String> brokerOverrides, Duration startTimeout,
                                  List<String> jvm) {
    KafkaBroker broker = new KafkaBroker(workDir, brokerOverrides, startTimeout, jvm);
    broker.firstStart();
    return broker;
  }

  private synchronized void firstStart() {
    // The free ports are only free "a moment ago": if another process grabs one first, retry on new ones.
    for (int attempt = 1; ; attempt++) {
      config = new BrokerConfigFiles(workDir, Ports.freePort(), Ports.freePort(), overrides).write();
      deleteRecursively(config.dataDir());
      format();
      process = JavaProcess.builder("kafka.Kafka")
          .classPath(BrokerClassPath.get())
          .jvmArgs(jvmArgs(jvm))
          .args(config.serverProperties().toString())
          .logFile(logFile())
          .build();
      try {
        process.start();
        awaitReady();
        return;
      } catch (BrokerDiedException e) {
        if (attempt >= START_ATTEMPTS || !e.getMessage().contains("Address already in use")) {
          throw e;
        }
      }
    }
  }

  private String[] jvmArgs(List<String> vm) {
    List<String> all = new java.util.ArrayList<>(vm);
    all.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-Djava.awt.headless=true", config.log4jJvmArg()));
    return all.toArray(String[]::new);
  }

  /**
   * {@code kafka.tools.StorageTool format}: writes meta.properties (cluster id, node id) into the data dir; from the
   * second broker of this JVM on, what the tool wrote for the first with the same overrides, with ids of its own
   * ({@link FormattedStorage}).
   */
  private void format() {
    Map<String, String> key = FormattedStorage.key(overrides);
    if (key != null && FormattedStorage.writeRemembered(key, config.dataDir())) {
      return;
    }
    runFormatTool();
    if (key != null) {
      FormattedStorage.remember(key, config.dataDir());
    }
  }

  private void runFormatTool() {
    Path formatLog = workDir.resolve("kafka-format.log");
    JavaProcess tool = JavaProcess.builder("kafka.tools.StorageTool")
        .classPath(BrokerClassPath.get())
        .jvmArgs(jvmArgs(TEST_JVM))
        .args("format", "-t", Uuid.randomUuid().toString(), "-c", config.serverProperties().toString())
        .logFile(formatLog)
        .build()
        .start();
    if (!tool.awaitExit(startTimeout)) {
      tool.kill9();
      throw new IllegalStateException("kafka storage format did not finish in " + startTimeout + ":\n"
          + tool.logTail(30));
    }
    if (!Files.exists(config.dataDir().resolve("meta.properties"))) {
      throw new IllegalStateException("kafka storage format failed (" + formatLog + "):\n" + tool.logTail(30));
    }
  }

  /** Polls the broker with an admin client until it lists itself as a cluster member, or fails with its log. */
  private void awaitReady() {
    long deadline = System.nanoTime() + startTimeout.toNanos();
    // Port first, so the admin client below does not log connection refusals.
    awaitUntil("listening", deadline, () -> {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getByName(config.listenerHost()), config.brokerPort()), 1000);
        return true;
      } catch (IOException notYet) {
        return false;
      }
    });
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
    props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
    try (Admin admin = Admin.create(props)) {
      awaitUntil("ready", deadline, () -> {
        try {
          return !admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty();
        } catch (ExecutionException | TimeoutException notYet) {
          return false;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new Poll.Abort("interrupted while waiting for the Kafka broker");
        }
      });
    }
  }

  private void awaitUntil(String state, long deadlineNanos, BooleanSupplier condition) {
    Duration left = Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    try {
      Poll.until("the Kafka broker " + state, left, Duration.ofMillis(100), () -> {
        if (!process.isAlive()) {
          throw new BrokerDiedException("Kafka broker exited during startup (" + logFile() + "):\n"
              + process.logTail(40));
        }
        return condition.getAsBoolean();
      });
    } catch (AssertionError timedOut) {
      throw new IllegalStateException("Kafka broker not " + state + " within " + startTimeout + " (" + logFile()
          + "):\n" + process.logTail(40), timedOut);
    }
  }

  /** {@code host:port} for {@code bootstrap.servers}; stays the same across {@link #restart()}. */
  public synchronized String bootstrapServers() {
    return config.bootstrapServers();
  }

  public synchronized boolean isRunning() {
    return process.isAlive();
  }

  /** The broker JVM's OS process id (benchmarks read its CPU time). */
  public synchronized long pid() {
    return process.pid();
  }

  /** Clean shutdown (SIGTERM; SIGKILL after 30 s). Data stays for {@link #restart()}. */
  public synchronized void stop() {
    refuseIfShared("stop");
    process.stop(STOP_GRACE);
  }

  /** SIGKILL: no flush, no controlled shutdown. Data stays for {@link #restart()}. */
  public synchronized void kill() {
    refuseIfShared("kill");
    process.kill9();
  }

  /** Stops the broker if it runs, then starts it on the same ports and data dir and waits until it is ready. */
  public synchronized void restart() {
    refuseIfShared("restart");
    process.stop(STOP_GRACE);
    process.start();
    awaitReady();
  }

  /** From now on this broker serves every test class of the JVM: stop, kill and restart are refused. */
  synchronized void share() {
    shared = true;
  }

  private void refuseIfShared(String what) {
    if (shared) {
      throw new IllegalStateException("cannot " + what + " the Kafka broker shared by this JVM's test classes: a test"
          + " that takes Kafka away registers a broker of its own (new KafkaBrokerExtension())");
    }
  }

  public Path workDir() {
    return workDir;
  }

  /** The broker's own output (WARN and above). */
  public Path logFile() {
    return workDir.resolve("kafka.log");
  }

  /** Stops the broker and deletes its data (the log file stays, for post-mortems). */
  @Override
  public synchronized void close() {
    if (process != null) {
      process.stop(STOP_GRACE);
    }
    if (config != null) {
      deleteRecursively(config.dataDir());
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }

  private static final class BrokerDiedException extends Poll.Abort {
    private static final long serialVersionUID = 1L;

    BrokerDiedException(String message) {
      super(message);
    }
  }
}
