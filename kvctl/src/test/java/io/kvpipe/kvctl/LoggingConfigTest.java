package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every process logs as docs/configuration.md says: kvpipe's own classes at {@code KVPIPE_LOG_LEVEL} (the proxy
 * hard-coded INFO and ignored it, issue 16) and timestamps that carry the date and the offset (ISO-8601), so lines from
 * several processes and days can be put in order.
 */
class LoggingConfigTest {
  private static final List<String> SERVICES = List.of("kv-node", "proxy", "cdc-consumer", "kvctl");

  private static String logback(String module) throws Exception {
    Path p = RepoFiles.root().resolve(module).resolve("src/main/resources/logback.xml");
    return Files.readString(p);
  }

  @Test
  void kvpipeLogsAtTheLevelTheEnvironmentNames() throws Exception {
    for (String module : SERVICES) {
      assertThat(logback(module)).as(module).contains("${KVPIPE_LOG_LEVEL:-");
      assertThat(logback(module)).as(module).doesNotContain("name=\"io.kvpipe\" level=\"INFO\"");
    }
  }

  @Test
  void timestampsCarryTheDateAndTheOffset() throws Exception {
    for (String module : SERVICES) {
      assertThat(logback(module)).as(module).contains("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX}")
          .doesNotContain("%d{HH:mm:ss.SSS}");
    }
  }
}
