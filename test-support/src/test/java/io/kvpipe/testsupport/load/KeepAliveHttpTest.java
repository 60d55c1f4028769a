package io.kvpipe.testsupport.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The load generator's HTTP client against the JDK's HTTP server. */
class KeepAliveHttpTest {
  HttpServer server;
  final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
  String base;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/v1/kv/", ex -> {
      clientPorts.add(ex.getRemoteAddress().getPort());
      byte[] in = ex.getRequestBody().readAllBytes();
      String auth = String.valueOf(ex.getRequestHeaders().getFirst("Authorization"));
      byte[] out = (ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " " + new String(in,
          StandardCharsets.UTF_8) + " " + auth).getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("X-Kv-Version", "42");
      boolean chunked = ex.getRequestURI().getPath().endsWith("/chunked");
      ex.sendResponseHeaders(ex.getRequestURI().getPath().endsWith("/missing") ? 404 : 200, chunked ? 0 : out.length);
      ex.getResponseBody().write(out);
      ex.close();
    });
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @Test
  void sequentialRequestsShareOneConnectionAndGetTheirOwnReplies() {
    try (KeepAliveHttp http = new KeepAliveHttp(base, "t0k", Duration.ofSeconds(10))) {
      for (int i = 0; i < 5; i++) {
        KeepAliveHttp.Reply r = http.send("PUT", "/v1/kv/k" + i, ("v" + i).getBytes(StandardCharsets.UTF_8)).join();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.version()).isEqualTo(42);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("PUT /v1/kv/k" + i + " v" + i
            + " Bearer t0k");
      }
      assertThat(clientPorts).hasSize(1);
    }
  }

  @Test
  void chunkedBodiesErrorsAndConcurrentRequestsAreRead() {
    try (KeepAliveHttp http = new KeepAliveHttp(base, null, Duration.ofSeconds(10))) {
      KeepAliveHttp.Reply chunked = http.send("GET", "/v1/kv/chunked", null).join();
      assertThat(new String(chunked.body(), StandardCharsets.UTF_8)).isEqualTo("GET /v1/kv/chunked  null");
      assertThat(http.send("GET", "/v1/kv/missing", null).join().status()).isEqualTo(404);
      List<CompletableFuture<KeepAliveHttp.Reply>> many = IntStream.range(0, 50)
          .mapToObj(i -> http.send("PUT", "/v1/kv/c" + i, new byte[] {'x'})).toList();
      Set<String> bodies = new HashSet<>();
      many.forEach(f -> bodies.add(new String(f.join().body(), StandardCharsets.UTF_8)));
      assertThat(bodies).hasSize(50).contains("PUT /v1/kv/c7 x null");
    }
  }

  @Test
  void aServerThatIsGoneFailsTheRequest() {
    server.stop(0);
    try (KeepAliveHttp http = new KeepAliveHttp(base, null, Duration.ofSeconds(5))) {
      assertThatThrownBy(() -> http.send("GET", "/v1/kv/x", null).join()).isInstanceOf(CompletionException.class);
    }
  }
}
