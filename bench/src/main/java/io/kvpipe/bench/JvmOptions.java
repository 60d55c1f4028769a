package io.kvpipe.bench;

import io.kvpipe.testsupport.kafka.KafkaBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The JVM options a kvpipe process starts with by default, from {@code config/jvm/<process>.options} (the file the
 * image's launcher and the dev stack read), so a benchmark measures the processes as they are shipped. Benchmarks run
 * from the repository root.
 */
final class JvmOptions {
  static final Path DIR = Path.of("config", "jvm");

  private JvmOptions() {}

  /** The options of {@code process} on one line, as {@code --node-jvm} takes them. */
  static String of(String process) {
    Path file = DIR.resolve(process + ".options");
    try {
      return parse(Files.readAllLines(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the default JVM options of " + process + " (" + file.toAbsolutePath()
          + "; benchmarks run from the repository root)", e);
    }
  }

  /**
   * The Kafka broker's options ({@code --broker-jvm "..."}): by default those Kafka's own launcher starts a broker
   * with, not the tests' quick-start C1-only broker, whose CPU per request a deployment would not spend.
   */
  static List<String> broker(BenchArgs a) {
    return KvStack.split(a.string("broker-jvm", String.join(" ", KafkaBroker.KAFKA_LAUNCHER_JVM)));
  }

  /** A Kafka broker under {@code dir} with {@link #broker}'s options. */
  static KafkaBroker startBroker(BenchArgs a, Path dir) {
    return startBroker(broker(a), dir);
  }

  static KafkaBroker startBroker(List<String> jvm, Path dir) {
    return KafkaBroker.start(dir, java.util.Map.of(), KafkaBroker.DEFAULT_START_TIMEOUT, jvm);
  }

  /**
   * The environment a benchmark starts {@code process}'s JVM with, from {@code config/jvm/<process>.env} (NAME=value a
   * line; none is shipped today) on one line, as {@code --node-env} takes it; empty without the file.
   */
  static String env(String process) {
    Path file = DIR.resolve(process + ".env");
    if (!Files.isRegularFile(file)) {
      return "";
    }
    try {
      return parse(Files.readAllLines(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file.toAbsolutePath(), e);
    }
  }

  /** {@code "A=1 B=2"} as a map (in order); a word without '=' is refused. */
  static java.util.Map<String, String> envMap(String line) {
    java.util.Map<String, String> env = new java.util.LinkedHashMap<>();
    for (String word : KvStack.split(line)) {
      int eq = word.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("not NAME=value: " + word);
      }
      env.put(word.substring(0, eq), word.substring(eq + 1));
    }
    return env;
  }

  static String parse(List<String> lines) {
    return lines.stream().map(l -> l.replaceFirst("#.*", "").trim()).filter(l -> !l.isEmpty())
        .flatMap(l -> Arrays.stream(l.split("\\s+"))).collect(Collectors.joining(" "));
  }
}
