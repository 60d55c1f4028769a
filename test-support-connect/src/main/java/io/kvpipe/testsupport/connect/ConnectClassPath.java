package io.kvpipe.testsupport.connect;

import io.kvpipe.testsupport.process.ClassPathFile;

/**
 * The class path of the child-JVM Connect worker: Kafka Connect (runtime, JSON converter), the stock Debezium JDBC sink
 * with its dependencies, and MySQL Connector/J, all from Maven Central. Maven writes it at build time (see this
 * module's pom) into a resource beside this class, so none of those jars reach the class path of the tests.
 */
public final class ConnectClassPath {
  static final String RESOURCE = "connect-classpath.txt";

  private ConnectClassPath() {}

  /** The class path, checked: every entry exists. */
  public static String get() {
    return ClassPathFile.read(ConnectClassPath.class, RESOURCE, "test-support-connect");
  }
}
