package io.kvpipe.testsupport.kafka;

import io.kvpipe.testsupport.process.ClassPathFile;

/**
 * The class path of the child-JVM Kafka broker. Maven writes it at build time (maven-dependency-plugin
 * {@code build-classpath}, see test-support/pom.xml) into a resource beside this class, so the broker's jars (Scala,
 * log4j2, Jetty, ...) never appear on the class path of the tests that use the broker.
 */
public final class BrokerClassPath {
  static final String RESOURCE = "broker-classpath.txt";

  private BrokerClassPath() {}

  /** The class path, checked: every entry exists. */
  public static String get() {
    return ClassPathFile.read(BrokerClassPath.class, RESOURCE, "test-support");
  }
}
