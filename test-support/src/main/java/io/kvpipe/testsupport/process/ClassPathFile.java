package io.kvpipe.testsupport.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A child JVM's class path that Maven wrote at build time (maven-dependency-plugin {@code build-classpath}) into a
 * resource, so the child's jars never appear on the class path of the tests that start it.
 */
public final class ClassPathFile {
  private ClassPathFile() {}

  /**
   * The class path in resource {@code name} beside {@code anchor}, checked: every entry exists (a stale file after a
   * local-repository wipe fails here, clearly).
   *
   * @param module the Maven module whose build writes the file, for the error message
   */
  public static String read(Class<?> anchor, String name, String module) {
    String cp;
    try (InputStream in = anchor.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("resource " + name + " missing next to " + anchor.getName()
            + ": build " + module + " with Maven (mvn -pl " + module + " install) so it is generated");
      }
      cp = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name, e);
    }
    List<String> missing = Arrays.stream(cp.split(java.io.File.pathSeparator))
        .filter(entry -> !Files.exists(Path.of(entry)))
        .toList();
    if (cp.isEmpty() || !missing.isEmpty()) {
      throw new IllegalStateException("class path " + name + " is stale (missing " + missing + "): rebuild " + module
          + " with Maven");
    }
    return cp;
  }
}
