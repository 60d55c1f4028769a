package io.kvpipe.systemtest;

import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.Ports;
import io.kvpipe.testsupport.load.KvHttp;
import io.kvpipe.testsupport.process.JavaProcess;
import io.kvpipe.testsupport.tls.TestTls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One proxy as a child process ({@code io.kvpipe.proxy.ProxyMain}) on a fixed free port, so a scenario can kill it
 * with SIGKILL mid-migration and another proxy must take over. Not thread-safe: the test drives it.
 */
final class ProxyProcess implements AutoCloseable {
  private final String name;
  private final int port;
  private final JavaProcess process;

  ProxyProcess(String name, Path logDir, String metaPeers, String bootstrapGroups, List<String> extraArgs) {
    this(name, logDir, metaPeers, bootstrapGroups, extraArgs, TestTls.cluster());
  }

  ProxyProcess(String name, Path logDir, String metaPeers, String bootstrapGroups, List<String> extraArgs,
               TestTls.Files tls) {
    this.name = name;
    this.port = Ports.freePort();
    List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", Integer.toString(port),
        "--meta-peers", metaPeers, "--bootstrap-groups", bootstrapGroups,
        // Generous: the scenarios share 2 cores with the whole stack, and an election under that load can take
        // seconds; the proxy must retry through it instead of failing the client.
        "--request-timeout-ms", "30000", "--topology-poll-ms", "100",
        "--health-interval-ms", "500", "--health-timeout-ms", "400"));
    args.addAll(List.of(tls.flags()));
    args.addAll(extraArgs);
    // Tokens in the environment, never as flags (visible in the process list; the proxy warns).
    this.process = JavaProcess.builder("io.kvpipe.proxy.ProxyMain").args(args)
        .env("KVPIPE_TOKEN", SystemStack.DATA_TOKEN).env("KVPIPE_ADMIN_TOKEN", SystemStack.ADMIN_TOKEN)
        .logFile(logDir.resolve("proxy-" + name + ".log")).build();
  }

  ProxyProcess start(Duration timeout) {
    launch();
    return awaitReady(timeout);
  }

  /** Starts the process without waiting (several processes of a stack start at once; then {@link #awaitReady}). */
  ProxyProcess launch() {
    process.start();
    return this;
  }

  /** Waits until the launched proxy answers 200 on /ready (a topology loaded, every ring group led). */
  ProxyProcess awaitReady(Duration timeout) {
    KvHttp probe = new KvHttp(base(), null, Duration.ofSeconds(2));
    Poll.until("proxy " + name + " ready on port " + port, timeout, Duration.ofMillis(200), () -> {
      if (!process.isAlive()) {
        throw new Poll.Abort("proxy " + name + " exited:\n" + process.logTail(40));
      }
      try {
        return probe.json("GET", "/ready", null).status() == 200;
      } catch (Exception notYet) {
        return false;
      }
    });
    return this;
  }

  String name() {
    return name;
  }

  String base() {
    return "http://127.0.0.1:" + port;
  }

  KvHttp data() {
    return new KvHttp(base(), SystemStack.DATA_TOKEN, Duration.ofSeconds(60));
  }

  KvHttp admin() {
    return new KvHttp(base(), SystemStack.ADMIN_TOKEN, Duration.ofSeconds(60));
  }

  void kill9() {
    process.kill9();
  }

  /** The OS process id (a nemesis pauses it with SIGSTOP). */
  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  String logTail(int lines) {
    return process.logTail(lines);
  }

  @Override
  public void close() {
    process.stop(Duration.ofSeconds(10));
  }

  /** SIGTERM without waiting (then {@link #close} waits): several proxies stop at once. */
  void askStop() {
    process.askStop();
  }
}
