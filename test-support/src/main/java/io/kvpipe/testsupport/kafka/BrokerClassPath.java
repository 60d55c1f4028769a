package io.kvpipe.testsupport.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The class path of the child-JVM Kafka broker. Maven writes it at build time (maven-dependency-plugin
 * {@code build-classpath}, see test-support/pom.xml) into a resource beside this class, so the broker's jars (Scala,
 * log4j2, Jetty, ...) never appear on the class path of the tests that use the broker.
 */
public final class BrokerClassPath {
  static final String RESOURCE = "broker-classpath.txt";

  private BrokerClassPath() {}

  /** The class path, checked: every entry exists (a stale file after a local-repository wipe fails here, clearly). */
  public static String get() {
    String cp;
    try (InputStream in = BrokerClassPath.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("resource " + RESOURCE + " missing next to " + BrokerClassPath.class.getName()
            + ": build test-support with Maven (mvn -pl test-support install) so it is generated");
      }
      cp = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
    List<String> missing = Arrays.stream(cp.split(java.io.File.pathSeparator))
        .filter(entry -> !Files.exists(Path.of(entry)))
        .toList();
    if (cp.isEmpty() || !missing.isEmpty()) {
      throw new IllegalStateException("Kafka broker class path is stale (missing " + missing
          + "): rebuild test-support with Maven");
    }
    return cp;
  }
}
