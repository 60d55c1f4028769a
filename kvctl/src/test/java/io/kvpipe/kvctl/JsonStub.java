package io.kvpipe.kvctl;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * A plain JDK HTTP server on loopback that answers JSON on the paths it is given: the stand-in for a proxy's or a
 * kv-node's HTTP API where a kvctl unit test only cares which URLs kvctl asks and what it makes of the answers (the
 * real APIs are the integration tests' business).
 */
final class JsonStub implements AutoCloseable {
  private final HttpServer server;

  JsonStub() {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.start();
  }

  /** Answers {@code path} (and what is below it) with 200 and {@code body}, read at each request. */
  JsonStub answer(String path, Supplier<String> body) {
    server.createContext(path, ex -> {
      byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
    return this;
  }

  int port() {
    return server.getAddress().getPort();
  }

  String url() {
    return "http://127.0.0.1:" + port();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
