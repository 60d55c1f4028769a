package io.kvpipe.testsupport.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A benchmark's figures as JSON, written with the machine they were measured on (cores, memory, CPU model, JDK, OS,
 * git commit, and {@link MachineProbe}'s costs of a hand-off and a durable append), so numbers from noisy machines
 * can be compared honestly. Dependency-free on purpose.
 */
public final class JsonReport {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  private final String name;
  private final Map<String, Object> root = new LinkedHashMap<>();

  public JsonReport(String name) {
    this.name = name;
    root.put("benchmark", name);
    root.put("time", Instant.now().toString());
    root.put("machine", machine());
  }

  public JsonReport put(String key, Object value) {
    root.put(key, value);
    return this;
  }

  /** Writes {@code <dir>/<name>-<timestamp>.json} and returns its path. */
  public Path write(Path dir) {
    try {
      Files.createDirectories(dir);
      Path file = dir.resolve(name + "-" + STAMP.format(Instant.now()) + ".json");
      Files.writeString(file, toJson(root, 0) + "\n", StandardCharsets.UTF_8);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An insertion-ordered map from alternating keys and values. */
  public static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  public static Map<String, Object> machine() {
    Runtime rt = Runtime.getRuntime();
    long memBytes = 0;
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      memBytes = os.getTotalMemorySize();
    }
    return map("cores", rt.availableProcessors(), "memory_gib", Math.round(memBytes / (1024.0 * 1024 * 1024) * 10) / 10.0,
        "cpu", cpuModel(), "os", System.getProperty("os.name") + " " + System.getProperty("os.version"),
        "jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
        "load_average", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        "git_commit", gitCommit(), "probe", MachineProbe.read(Path.of("target", "bench-work")));
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      return "unknown (" + e.getMessage() + ")";
    }
    return "unknown";
  }

  private static String gitCommit() {
    try {
      Process p = new ProcessBuilder("git", "rev-parse", "--short", "HEAD").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return p.waitFor() == 0 ? out : "unknown";
    } catch (IOException e) {
      return "unknown";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }

  static String toJson(Object v, int indent) {
    if (v == null) {
      return "null";
    }
    if (v instanceof Number || v instanceof Boolean) {
      return v instanceof Double d && (d.isNaN() || d.isInfinite()) ? "null" : v.toString();
    }
    String pad = "  ".repeat(indent + 1);
    if (v instanceof Map<?, ?> m) {
      StringBuilder sb = new StringBuilder("{");
      String sep = "\n";
      for (Map.Entry<?, ?> e : m.entrySet()) {
        sb.append(sep).append(pad).append(quote(String.valueOf(e.getKey()))).append(": ")
            .append(toJson(e.getValue(), indent + 1));
        sep = ",\n";
      }
      return sb.append(m.isEmpty() ? "" : "\n" + "  ".repeat(indent)).append('}').toString();
    }
    if (v instanceof Collection<?> c) {
      StringBuilder sb = new StringBuilder("[");
      String sep = "\n";
      for (Object o : c) {
        sb.append(sep).append(pad).append(toJson(o, indent + 1));
        sep = ",\n";
      }
      return sb.append(c.isEmpty() ? "" : "\n" + "  ".repeat(indent)).append(']').toString();
    }
    return quote(v.toString());
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (ch < 0x20) {
            sb.append(String.format("\\u%04x", (int) ch));
          } else {
            sb.append(ch);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
