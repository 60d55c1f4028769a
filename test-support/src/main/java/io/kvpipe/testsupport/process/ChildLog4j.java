package io.kvpipe.testsupport.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The log4j2 setup of the Apache child JVMs (Kafka broker, Connect worker): WARN and up, to stdout (the log file). */
public final class ChildLog4j {
  private ChildLog4j() {}

  /** Writes the config to {@code file}; returns the JVM option that points log4j2 at it. */
  public static String write(Path file) throws IOException {
    Files.writeString(file, """
        status = warn
        appender.out.type = Console
        appender.out.name = out
        appender.out.layout.type = PatternLayout
        appender.out.layout.pattern = %d{HH:mm:ss.SSS} %-5p [%t] %c{1.}: %m%n
        rootLogger.level = warn
        rootLogger.appenderRef.out.ref = out
        """);
    return jvmArg(file);
  }

  /** The JVM option that points log4j2 at {@code file}. */
  public static String jvmArg(Path file) {
    return "-Dlog4j2.configurationFile=" + file.toAbsolutePath().toUri();
  }
}
