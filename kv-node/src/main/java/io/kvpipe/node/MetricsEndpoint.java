package io.kvpipe.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kvpipe.node.status.Readiness;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's HTTP port (no credentials: it serves no data and accepts no command): {@code GET /metrics} (Prometheus
 * text), {@code GET /health} (200 while the process answers), {@code GET /ready} (200 or 503, JSON body of checks)
 * and {@code GET /status} (JSON: every hosted group's replica state). Formats: docs/operations.md.
 */
final class MetricsEndpoint implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;

  /** {@code status} is asked per request: which replicas are being added changes while the node runs. */
  MetricsEndpoint(String host, int port, PrometheusMeterRegistry registry, Supplier<NodeStatus> status)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(host, port), 0);
    server.createContext("/metrics", exchange -> respond(exchange, () -> new Body(200,
        "text/plain; version=0.0.4; charset=utf-8", registry.scrape().getBytes(StandardCharsets.UTF_8))));
    server.createContext("/health", exchange -> respond(exchange, () -> json(200, Map.of("status", "ok"))));
    server.createContext("/ready", exchange -> respond(exchange, () -> {
      Readiness.Result r = status.get().readiness();
      return json(r.ready() ? 200 : 503, r.toJson());
    }));
    server.createContext("/status", exchange -> respond(exchange, () -> json(200, status.get().statusJson())));
    server.start();
  }

  private record Body(int status, String contentType, byte[] bytes) {}

  private interface BodySource {
    Body get() throws IOException;
  }

  private static Body json(int status, Object value) throws IOException {
    return new Body(status, "application/json", JSON.writeValueAsBytes(value));
  }

  private static void respond(HttpExchange exchange, BodySource source) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "GET");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      // The contexts match by prefix: /readyx is not /ready.
      String path = exchange.getRequestURI().getPath();
      if (!path.equals(exchange.getHttpContext().getPath())) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      Body body;
      try {
        body = source.get();
      } catch (RuntimeException e) {
        LOG.warn("{} failed: {}", path, e.toString());
        body = json(500, Map.of("status", "error", "message", String.valueOf(e.getMessage())));
      }
      exchange.getResponseHeaders().set("Content-Type", body.contentType());
      exchange.sendResponseHeaders(body.status(), body.bytes().length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body.bytes());
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
