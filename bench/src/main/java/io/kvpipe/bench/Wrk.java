package io.kvpipe.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvpipe.testsupport.bench.JsonReport;
import io.kvpipe.testsupport.bench.ProcessCpu;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs Debian's {@code wrk} (a closed-loop HTTP load generator in its own process: keep-alive connections, one
 * request in flight per connection) with {@code scripts/wrk/kv.lua}, and reads the JSON line the script's
 * {@code done()} prints. wrk's full output (with {@code --latency}'s distribution) is appended to a log file.
 */
final class Wrk {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path script;
  private final Path log;
  private final int keys;
  private final int valueBytes;

  Wrk(Path script, Path log, int keys, int valueBytes) {
    if (!Files.isRegularFile(script)) {
      throw new IllegalArgumentException("wrk script " + script + " not found (run from the repository root)");
    }
    this.script = script;
    this.log = log;
    this.keys = keys;
    this.valueBytes = valueBytes;
  }

  /** One run's figures; latencies in milliseconds; errors = HTTP status >= 400 plus socket errors. */
  record Result(long requests, double seconds, long errors, long statusErrors, long socketErrors, double p50,
                double p90, double p99, double p999, double max) {
    /** Successful operations per second. */
    double rate() {
      return (requests - statusErrors) / seconds;
    }

    Map<String, Object> toMap() {
      return JsonReport.map("requests", requests, "seconds", ProcessCpu.round(2, seconds), "ops_per_s",
          Math.round(rate()), "errors", errors, "errors_status", statusErrors, "errors_socket", socketErrors,
          "p50_ms", ProcessCpu.round(3, p50), "p90_ms", ProcessCpu.round(3, p90), "p99_ms", ProcessCpu.round(3, p99),
          "p999_ms", ProcessCpu.round(3, p999), "max_ms", ProcessCpu.round(3, max));
    }
  }

  /**
   * @param target "kvpipe" or "etcd" (request shapes: see kv.lua)
   * @param op "put" or "get"
   * @param token kvpipe's data token (ignored for etcd)
   */
  Result run(String url, String target, String op, int connections, int threads, Duration d, String token)
      throws IOException, InterruptedException {
    return run(url, target, op, connections, threads, d, token, 0);
  }

  /**
   * @param paceMillis when positive, each connection waits this long after a response before its next request (kv.lua's
   *     KVPIPE_WRK_PACE_MS): a paced load whose rate the connection count sets, instead of saturation
   */
  Result run(String url, String target, String op, int connections, int threads, Duration d, String token,
             int paceMillis) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("wrk", "-t", Integer.toString(Math.min(threads, connections)),
        "-c", Integer.toString(connections), "-d", d.toSeconds() + "s", "--timeout", "10s", "--latency",
        "-s", script.toString(), url, "--", target, op, Integer.toString(keys), Integer.toString(valueBytes)));
    if (token != null) {
      cmd.add(token);
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    if (paceMillis > 0) {
      pb.environment().put("KVPIPE_WRK_PACE_MS", Integer.toString(paceMillis));
    }
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(d.toSeconds() + 60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("wrk did not end 60 s after its duration");
    }
    String text = new String(out, StandardCharsets.UTF_8);
    String shown = String.join(" ", cmd);
    Files.writeString(log, "$ " + (token == null ? shown : shown.replace(token, "<token>")) + "\n" + text + "\n",
        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    String line = text.lines().filter(l -> l.startsWith("WRK_JSON ")).findFirst().orElseThrow(() ->
        new IllegalStateException("wrk exited " + p.exitValue() + " without its JSON line:\n" + text));
    JsonNode j = JSON.readTree(line.substring("WRK_JSON ".length()));
    long status = j.path("errors_status").asLong();
    long socket = j.path("errors_connect").asLong() + j.path("errors_read").asLong() + j.path("errors_write").asLong()
        + j.path("errors_timeout").asLong();
    return new Result(j.path("requests").asLong(), j.path("duration_us").asLong() / 1e6, status + socket, status,
        socket, j.path("p50_us").asLong() / 1e3, j.path("p90_us").asLong() / 1e3, j.path("p99_us").asLong() / 1e3,
        j.path("p999_us").asLong() / 1e3, j.path("max_us").asLong() / 1e3);
  }
}
