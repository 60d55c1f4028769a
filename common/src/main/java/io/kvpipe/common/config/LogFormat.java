package io.kvpipe.common.config;

import java.util.Map;
import java.util.Set;

/**
 * {@code KVPIPE_LOG_FORMAT} picks each process's log layout in its logback.xml (an appender of that name): {@code text}
 * (the default) or {@code json}. Logback only reports a name it does not know to its status list and then logs
 * nothing at all, so every process checks the value before it starts and refuses a wrong one with a clear error.
 */
public final class LogFormat {
  public static final String ENV = "KVPIPE_LOG_FORMAT";
  private static final Set<String> FORMATS = Set.of("text", "json");

  private LogFormat() {}

  /** @throws IllegalArgumentException if the environment names a format no logback.xml defines */
  public static void check(Map<String, String> env) {
    String given = env.get(ENV);
    if (given != null && !FORMATS.contains(given)) {
      throw new IllegalArgumentException(ENV + " must be text or json, got '" + given + "'");
    }
  }
}
