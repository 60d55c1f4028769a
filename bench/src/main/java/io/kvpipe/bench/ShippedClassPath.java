package io.kvpipe.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The class path a kvpipe service runs with in the image and the dev stack (scripts/lib/devstack.sh
 * ds_process_classpath): its own module first, then every library of the stack, without the other services' modules
 * and without what only the tests and benchmarks carry. A node started on the benchmark's class path loads libraries
 * a shipped one does not (Netty reads the TLS key through Bouncy Castle when it finds it: ~800 classes, a few MiB of
 * metaspace and symbols), so the memory phase starts its nodes with this one. Benchmarks run from the repository root.
 */
final class ShippedClassPath {
  /** The files the dev stack reads its class path from (DS_CLASSPATH_FILES), in that order. */
  private static final List<Path> STACK = List.of(Path.of("kvctl", "target", "stack-classpath.txt"),
      Path.of("kvctl", "target", "kvctl-classpath.txt"));
  private static final List<String> SERVICES = List.of("kv-node", "proxy", "cdc-consumer");

  private ShippedClassPath() {}

  /** The class path of {@code module} (one of the services), or null when the stack class path was not built. */
  static String of(String module) {
    List<String> entries = new ArrayList<>();
    for (Path file : STACK) {
      if (!Files.isRegularFile(file)) {
        return null;
      }
      try {
        entries.addAll(List.of(Files.readString(file).replace("\n", "").split(java.io.File.pathSeparator)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file.toAbsolutePath(), e);
      }
    }
    String own = null;
    List<String> rest = new ArrayList<>();
    for (String entry : entries) {
      if (entry.isEmpty() || rest.contains(entry)) {
        continue;
      }
      if (isModule(entry, module)) {
        own = entry;
      } else if (SERVICES.stream().noneMatch(s -> isModule(entry, s))) {
        rest.add(entry);
      }
    }
    if (own == null) {
      throw new IllegalStateException(module + " is not on the stack class path " + STACK.get(0).toAbsolutePath());
    }
    rest.add(0, own);
    return String.join(java.io.File.pathSeparator, rest);
  }

  private static boolean isModule(String entry, String module) {
    String name = Path.of(entry).getFileName().toString();
    return name.matches(java.util.regex.Pattern.quote(module) + "-[0-9].*\\.jar")
        || entry.endsWith(module + "/target/classes");
  }
}
