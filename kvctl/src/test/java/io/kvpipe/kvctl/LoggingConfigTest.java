package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

  /** KVPIPE_LOG_FORMAT=json gives one JSON object per line, with the level, logger and the formatted message. */
  @Test
  void jsonFormatWritesOneJsonObjectPerEvent() throws Exception {
    for (String module : SERVICES) {
      String line = logOneLine(module, "json");
      JsonNode event = new ObjectMapper().readTree(line);
      assertThat(event.path("level").asText()).as(module).isEqualTo("WARN");
      assertThat(event.path("loggerName").asText()).as(module).isEqualTo("io.kvpipe.probe");
      assertThat(event.path("formattedMessage").asText()).as(module).isEqualTo("hello 42");
    }
  }

  @Test
  void textFormatIsTheDefault() throws Exception {
    for (String module : SERVICES) {
      assertThat(logOneLine(module, null)).as(module).matches("\\d{4}-\\d{2}-\\d{2}T.* WARN .*hello 42");
    }
  }

  /** The proxy's text lines end with the request's id while it is handled (MDC request_id), and only then. */
  @Test
  void proxyTextLinesNameTheRequest() throws Exception {
    assertThat(logOneLine("proxy", null, "r-42")).endsWith("hello 42 request_id=r-42");
    assertThat(logOneLine("proxy", null)).endsWith("hello 42");
  }

  private static String logOneLine(String module, String format) throws Exception {
    return logOneLine(module, format, null);
  }

  /** Configures a fresh logback context from the module's logback.xml and captures what one warning prints. */
  private static String logOneLine(String module, String format, String requestId) throws Exception {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    try {
      if (format != null) {
        context.putProperty("KVPIPE_LOG_FORMAT", format);
      }
      PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
      System.setOut(capture);
      System.setErr(capture);
      JoranConfigurator configurator = new JoranConfigurator();
      configurator.setContext(context);
      configurator.doConfigure(RepoFiles.root().resolve(module).resolve("src/main/resources/logback.xml").toFile());
      if (requestId != null) {
        context.getMDCAdapter().put("request_id", requestId);
      }
      try {
        context.getLogger("io.kvpipe.probe").warn("hello {}", 42);
      } finally {
        context.getMDCAdapter().remove("request_id");
      }
    } finally {
      context.stop();
      System.setOut(out);
      System.setErr(err);
    }
    List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("hello")).toList();
    assertThat(lines).as(module + " with format " + format + "; logback said: "
        + context.getStatusManager().getCopyOfStatusList()).hasSize(1);
    return lines.get(0);
  }
}
