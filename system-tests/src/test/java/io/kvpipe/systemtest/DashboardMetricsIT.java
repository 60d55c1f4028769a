package io.kvpipe.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.load.KvHttp;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard in docs/grafana queries only metrics the processes really export: the whole pipeline runs
 * (kv-nodes with CDC, proxy, the archive consumer as its own process), takes some writes, and the names in the
 * dashboard's expressions are looked up in what the three kinds of process answer on /metrics. A metric renamed in the
 * code without the dashboard (or the other way round) fails here.
 */
@ExtendWith(MySqlExtension.class)
class DashboardMetricsIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();
  /** Metric names as Prometheus spells them, in the families kvpipe's processes export. */
  private static final Pattern METRIC = Pattern.compile(
      "\\b((?:kvpipe|jvm|process|system|hikaricp|kafka)_[a-z0-9_]+)\\b");

  @TempDir Path dir;

  @Test
  void everyMetricTheDashboardQueriesIsExported(MySqlDatabase db) throws Exception {
    Set<String> wanted = dashboardMetrics();
    assertThat(wanted).as("metrics named by the dashboard").hasSizeGreaterThan(10);
    try (SystemStack stack = SystemStack.builder(dir).groups("g1").proxies("a").metricsPorts().archiveAsProcess()
        .pipeline(KAFKA.bootstrapServers(), db).start()) {
      KvHttp data = stack.proxy("a").data();
      for (int i = 0; i < 50; i++) {
        assertThat(data.put("dash-" + i, ("v" + i).getBytes(StandardCharsets.UTF_8)).ok()).isTrue();
      }
      List<String> endpoints = new java.util.ArrayList<>();
      endpoints.add(stack.proxy("a").base() + "/metrics");
      for (String node : stack.nodes().nodeIds()) {
        endpoints.add("http://127.0.0.1:" + stack.nodes().metricsPort(node) + "/metrics");
      }
      endpoints.add("http://127.0.0.1:" + stack.archiveMetricsPort() + "/metrics");
      Set<String> exported = new TreeSet<>();
      // Some meters appear only once their source has worked (a consumer's fetch lag after its first fetch, a
      // partition's lag after assignment): scrape until every wanted name is there or the deadline passes.
      try {
        Poll.until("every metric of the dashboard exported", Duration.ofSeconds(90), Duration.ofMillis(500), () -> {
          exported.clear();
          for (String url : endpoints) {
            exported.addAll(names(scrape(url)));
          }
          return exported.containsAll(wanted);
        });
      } catch (AssertionError | RuntimeException timedOut) {
        Set<String> missing = new TreeSet<>(wanted);
        missing.removeAll(exported);
        assertThat(missing).as("dashboard metrics no process exports (exported: %s)", exported).isEmpty();
      }
    }
  }

  private static Set<String> dashboardMetrics() throws Exception {
    String json = Files.readString(repoRoot().resolve("docs/grafana/kvpipe-dashboard.json"));
    Set<String> names = new TreeSet<>();
    Matcher exprs = Pattern.compile("\"expr\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
    while (exprs.find()) {
      Matcher m = METRIC.matcher(exprs.group(1));
      while (m.find()) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  /** Names of the samples in a Prometheus text exposition (the part before labels or value). */
  static Set<String> names(String exposition) {
    Set<String> names = new TreeSet<>();
    for (String line : exposition.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int end = 0;
      while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
        end++;
      }
      names.add(line.substring(0, end));
    }
    return names;
  }

  private static String scrape(String url) {
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : "";
    } catch (java.io.IOException notListeningYet) {
      return ""; // the next poll asks again; the final assertion names what never appeared

    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("docs/grafana"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("no docs/grafana above " + Path.of("").toAbsolutePath());
    }
    return p;
  }
}
