package io.kvpipe.testsupport.connect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.Ports;
import io.kvpipe.testsupport.process.ChildLog4j;
import io.kvpipe.testsupport.process.JavaProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A real Kafka Connect worker (standalone mode, Apache Kafka's own {@code ConnectStandalone}) in a child JVM, with the
 * stock Debezium JDBC sink and MySQL Connector/J on its class path, all from Maven Central ({@link ConnectClassPath}).
 * The converters are Connect's JsonConverter with schemas on for key and value, as Debezium's JDBC sink needs.
 *
 * <pre>{@code
 * try (KafkaConnect connect = KafkaConnect.start(dir, kafka.bootstrapServers(),
 *     Map.of("sink", Map.of("connector.class", KafkaConnect.JDBC_SINK, "topics", "t", ...)), timeout)) {
 *   // returns once every connector's tasks are RUNNING; connect.state("sink") later
 * }
 * }</pre>
 */
public final class KafkaConnect implements AutoCloseable {
  /** The stock Debezium JDBC sink connector. */
  public static final String JDBC_SINK = "io.debezium.connector.jdbc.JdbcSinkConnector";
  /** Debezium's transform that turns a change event into the row of its {@code after} (or a tombstone). */
  public static final String EXTRACT_NEW_RECORD_STATE = "io.debezium.transforms.ExtractNewRecordState";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration STOP_GRACE = Duration.ofSeconds(20);

  private final JavaProcess process;
  private final URI rest;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private KafkaConnect(JavaProcess process, URI rest) {
    this.process = process;
    this.rest = rest;
  }

  /**
   * Writes the worker's and the connectors' properties under {@code workDir}, starts the worker and waits until every
   * connector and task is RUNNING; fails with the worker's log if one FAILED or the time ran out.
   *
   * @param connectors connector name → its properties ({@code name} is added)
   */
  public static KafkaConnect start(Path workDir, String bootstrapServers, Map<String, Map<String, String>> connectors,
                                   Duration timeout) {
    Path dir = workDir.toAbsolutePath();
    int port = Ports.freePort();
    List<String> args = new ArrayList<>();
    String log4j;
    try {
      Files.createDirectories(dir);
      Map<String, String> worker = new LinkedHashMap<>();
      worker.put("bootstrap.servers", bootstrapServers);
      worker.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
      worker.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
      worker.put("key.converter.schemas.enable", "true");
      worker.put("value.converter.schemas.enable", "true");
      worker.put("offset.storage.file.filename", dir.resolve("connect.offsets").toString());
      worker.put("offset.flush.interval.ms", "1000");
      worker.put("listeners", "http://127.0.0.1:" + port);
      worker.put("consumer.auto.offset.reset", "earliest");
      args.add(write(dir.resolve("worker.properties"), worker).toString());
      for (Map.Entry<String, Map<String, String>> c : connectors.entrySet()) {
        Map<String, String> props = new TreeMap<>(c.getValue());
        props.put("name", c.getKey());
        args.add(write(dir.resolve(c.getKey() + ".properties"), props).toString());
      }
      log4j = ChildLog4j.write(dir.resolve("log4j2.properties"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the Connect worker's files into " + dir, e);
    }
    JavaProcess process = JavaProcess.builder("org.apache.kafka.connect.cli.ConnectStandalone")
        .classPath(ConnectClassPath.get())
        .jvmArgs("-Xmx768m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
            "-Djava.awt.headless=true", log4j)
        .args(args)
        .logFile(dir.resolve("connect.log"))
        .build()
        .start();
    KafkaConnect connect = new KafkaConnect(process, URI.create("http://127.0.0.1:" + port));
    try {
      for (String name : connectors.keySet()) {
        Poll.until("connector " + name + " and its tasks RUNNING", timeout, Duration.ofMillis(500),
            () -> connect.running(name));
      }
    } catch (RuntimeException | Error e) {
      String log = process.logTail(60);
      connect.close();
      throw new IllegalStateException("Kafka Connect did not come up: " + e.getMessage() + "\n" + log, e);
    }
    return connect;
  }

  private static Path write(Path file, Map<String, String> props) throws IOException {
    Files.writeString(file, props.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining("\n", "# written by " + KafkaConnect.class.getName() + "\n", "\n")));
    return file;
  }

  /**
   * True when the connector and all its tasks run; throws {@link Poll.Abort} (ending a {@link Poll} at once) with the
   * failure's trace if one FAILED or the worker died.
   */
  public boolean running(String name) {
    if (!process.isAlive()) {
      throw new Poll.Abort("the Connect worker exited");
    }
    JsonNode status = status(name);
    if (status == null) {
      return false;
    }
    List<String> states = new ArrayList<>();
    states.add(status.path("connector").path("state").asText());
    status.path("tasks").forEach(t -> states.add(t.path("state").asText()));
    if (states.contains("FAILED")) {
      throw new Poll.Abort("connector " + name + " FAILED: " + status.toPrettyString());
    }
    return states.size() > 1 && states.stream().allMatch("RUNNING"::equals);
  }

  /** The connector's status from the worker's REST API, or null while the worker does not answer. */
  public JsonNode status(String name) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(rest.resolve("/connectors/" + name + "/status"))
          .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    } catch (IOException notYet) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Fails if a connector or task has failed since the start (with its trace): call before trusting a sink's output. */
  public void assertHealthy(String name) {
    if (!running(name)) {
      throw new IllegalStateException("connector " + name + " is not RUNNING: " + status(name));
    }
  }

  public String logTail(int lines) {
    return process.logTail(lines);
  }

  @Override
  public void close() {
    process.stop(STOP_GRACE);
  }
}
