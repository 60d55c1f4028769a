package io.kvpipe.consumer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Serves {@code GET /metrics} in Prometheus text format, {@code GET /health} (200 while the process answers) and
 * {@code GET /ready} (200, or 503 naming what is not ready: JSON of {@link ConsumerHealth}'s checks) with the JDK's
 * HTTP server (one daemon thread).
 */
final class MetricsServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpServer server;

  MetricsServer(int port, PrometheusMeterRegistry registry, Supplier<List<ConsumerHealth.Check>> checks)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext("/ready", exchange -> {
      List<ConsumerHealth.Check> now = checks.get();
      boolean ready = now.stream().allMatch(ConsumerHealth.Check::ok);
      respond(exchange, ready ? 200 : 503, "application/json", JSON.writeValueAsBytes(ConsumerHealth.toJson(now)));
    });
    server.createContext("/health", exchange -> respond(exchange, 200, "application/json",
        JSON.writeValueAsBytes(Map.of("status", "ok"))));
    server.createContext("/metrics", exchange -> respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
        registry.scrape().getBytes(StandardCharsets.UTF_8)));
    server.start();
  }

  private static void respond(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
