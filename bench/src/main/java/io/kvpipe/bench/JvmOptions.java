package io.kvpipe.bench;

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

  static String parse(List<String> lines) {
    return lines.stream().map(l -> l.replaceFirst("#.*", "").trim()).filter(l -> !l.isEmpty())
        .flatMap(l -> Arrays.stream(l.split("\\s+"))).collect(Collectors.joining(" "));
  }
}
