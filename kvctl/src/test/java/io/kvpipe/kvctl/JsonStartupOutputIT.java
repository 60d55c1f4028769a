package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With KVPIPE_LOG_FORMAT=json every service's log stream (stdout; the consumer's: stderr) is one JSON object per line
 * from its first line on: the effective configuration printed at start goes through the logger (it was printed with
 * System.out/err as plain text), and logback's own status lines no longer lead the output. Each
 * process is started with settings it can print but not serve with (nothing listens at its Kafka, MySQL or meta
 * peers), read until its configuration has been logged, and stopped.
 */
class JsonStartupOutputIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  @Test
  void kvNode() throws Exception {
    int raft = Ports.freePort();
    assertPureJson("kv-node", "io.kvpipe.node.KvNodeMain", "raft-transport=", List.of("--id", "n1", "--group",
        "g1=n1@127.0.0.1:" + raft, "--insecure-plaintext", "true", "--data-dir", dir.resolve("n1").toString(),
        "--metrics-port", "0"));
  }

  @Test
  void proxy() throws Exception {
    assertPureJson("proxy", "io.kvpipe.proxy.ProxyMain", "meta-peers=", List.of("--meta-peers",
        "m1@127.0.0.1:" + Ports.freePort(), "--insecure-plaintext", "true", "--port", "0",
        "--data-token-file", Files.writeString(dir.resolve("data"), "data-token-1\n").toString(),
        "--admin-token-file", Files.writeString(dir.resolve("admin"), "admin-token-1\n").toString()));
  }

  @Test
  void consumer() throws Exception {
    assertPureJson("cdc-consumer", "io.kvpipe.consumer.ConsumerMain", "jdbc-user=", List.of("--kafka-bootstrap",
        "127.0.0.1:" + Ports.freePort(), "--jdbc-url", "jdbc:mysql://127.0.0.1:" + Ports.freePort() + "/kvpipe",
        "--jdbc-user", "nobody", "--metrics-port", "0", "--max-backoff-ms", "1000"));
  }

  /**
   * This JVM's class path without the other services and kvctl, so the process finds only its own logback.xml (as it
   * does when deployed: one class path per process).
   */
  private static String classPathOf(String module) {
    List<String> others = new ArrayList<>(List.of("kv-node", "proxy", "cdc-consumer", "kvctl"));
    others.remove(module);
    return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
        .filter(e -> others.stream().noneMatch(o -> e.contains("/" + o + "/") || e.contains("/" + o + "-0")))
        .filter(e -> !e.contains("test-classes"))
        .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
  }

  private void assertPureJson(String module, String mainClass, String logged, List<String> args)
      throws Exception {
    Path out = dir.resolve(mainClass + ".out");
    Path err = dir.resolve(mainClass + ".err");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classPathOf(module), mainClass));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("KVPIPE_"));
    pb.environment().put("KVPIPE_LOG_FORMAT", "json");
    pb.environment().put("KVPIPE_LOG_LEVEL", "INFO");
    Process p = pb.start();
    try {
      // Printed anywhere (the old code printed the consumer's to stderr), or the process is gone.
      Poll.until(mainClass + " printing its configuration", WAIT, Duration.ofMillis(100),
          () -> (read(out) + read(err)).contains(logged) || !p.isAlive());
    } finally {
      p.destroyForcibly();
      p.waitFor();
    }
    // The consumer logs to stderr (its logback.xml), the others to stdout: that stream must be pure JSON, and the
    // other one must hold no plain-text configuration either.
    Path logs = module.equals("cdc-consumer") ? err : out;
    assertThat(read(logs == out ? err : out)).doesNotContain(logged);
    List<String> lines = Files.readAllLines(logs).stream().filter(l -> !l.isBlank()).toList();
    assertThat(lines).isNotEmpty();
    for (String line : lines) {
      JsonNode node;
      try {
        node = JSON.readTree(line);
      } catch (IOException e) {
        throw new AssertionError(mainClass + ": a log line is not JSON: " + line + "\n" + String.join("\n", lines), e);
      }
      assertThat(node.isObject()).as(line).isTrue();
    }
    assertThat(lines).as("the configuration logged at INFO")
        .anyMatch(l -> l.contains(logged) && l.contains("\"level\":\"INFO\""));
  }

  private static String read(Path f) {
    try {
      return Files.exists(f) ? Files.readString(f) : "";
    } catch (IOException e) {
      return "";
    }
  }
}
