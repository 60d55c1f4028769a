package io.kvpipe.testsupport.load;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The proxy's HTTP API as a load generator sees it: {@code PUT|GET|DELETE /v1/kv/{key}} with the version from the
 * {@code X-Kv-Version} header, plus plain JSON calls for the admin API. Keys are sent as they are, so callers use
 * URL-safe keys. Thread-safe; HTTP/1.1 (the proxy speaks no h2c).
 */
public final class KvHttp {
  public static final String VERSION_HEADER = "X-Kv-Version";

  private static final Pattern VERSION_FIELD = Pattern.compile("\"version\":(\\d+)");

  private final HttpClient http;
  private final String base;
  private final String token;
  private final Duration timeout;
  private KeepAliveHttp lean; // made on the first putAsync: only open-loop load uses it

  /** @param base e.g. {@code http://127.0.0.1:8080} */
  public KvHttp(String base, String token, Duration timeout) {
    this.base = base;
    this.token = token;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  /** A response: status, the version header (0 when absent) and the body. */
  public record Response(int status, long version, byte[] body) {
    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }

    public boolean ok() {
      return status / 100 == 2;
    }
  }

  public String base() {
    return base;
  }

  public Response put(String key, byte[] value) throws IOException, InterruptedException {
    return send(request("/v1/kv/" + key).PUT(HttpRequest.BodyPublishers.ofByteArray(value))
        .header("Content-Type", "application/octet-stream"));
  }

  /**
   * An asynchronous put (for open-loop load): completes with the response, or exceptionally on a transport error.
   * Over plain HTTP it goes through {@link KeepAliveHttp}, which costs the box far less per request than
   * {@code java.net.http} (the load generator shares the box with what it measures).
   */
  public CompletableFuture<Response> putAsync(String key, byte[] value) {
    if (base.startsWith("http://")) {
      return lean().send("PUT", "/v1/kv/" + key, value).thenApply(r -> new Response(r.status(), r.version(), r.body()));
    }
    HttpRequest r = request("/v1/kv/" + key).PUT(HttpRequest.BodyPublishers.ofByteArray(value))
        .header("Content-Type", "application/octet-stream").build();
    return http.sendAsync(r, HttpResponse.BodyHandlers.ofByteArray()).thenApply(KvHttp::response);
  }

  private synchronized KeepAliveHttp lean() {
    if (lean == null) {
      lean = new KeepAliveHttp(base, token, timeout);
    }
    return lean;
  }

  public Response get(String key) throws IOException, InterruptedException {
    return send(request("/v1/kv/" + key).GET());
  }

  public Response delete(String key) throws IOException, InterruptedException {
    return send(request("/v1/kv/" + key).DELETE());
  }

  /**
   * {@code POST /v1/kv:batchPut} of unconditional puts; returns each item's version in order, or null (with the
   * response in {@code failure[0]}) if any item or the request failed. Keys must be URL-safe ASCII (no JSON escaping).
   */
  public long[] batchPut(List<String> keys, List<byte[]> values, Response[] failure)
      throws IOException, InterruptedException {
    StringBuilder body = new StringBuilder("{\"items\":[");
    for (int i = 0; i < keys.size(); i++) {
      body.append(i == 0 ? "" : ",").append("{\"key\":\"").append(keys.get(i)).append("\",\"value\":\"")
          .append(Base64.getEncoder().encodeToString(values.get(i))).append("\"}");
    }
    Response r = json("POST", "/v1/kv:batchPut", body.append("]}").toString());
    Matcher m = VERSION_FIELD.matcher(r.bodyText());
    long[] versions = new long[keys.size()];
    int n = 0;
    while (m.find() && n < versions.length) {
      versions[n++] = Long.parseLong(m.group(1));
    }
    if (r.status() != 200 || n != keys.size()) {
      failure[0] = r;
      return null;
    }
    return versions;
  }

  /**
   * A single-key call with optional extra headers as name/value pairs, e.g. a conditional write:
   * {@code send("PUT", "/v1/kv/k", value, "If-Match", "12")}; {@code body} null sends none.
   */
  public Response send(String method, String path, byte[] body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = request(path).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofByteArray(body));
    if (body != null) {
      b.header("Content-Type", "application/octet-stream");
    }
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b);
  }

  /** Any call with an optional JSON body (null: none), e.g. {@code json("POST", "/api/cluster/groups", "{...}")}. */
  public Response json(String method, String path, String body) throws IOException, InterruptedException {
    HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8);
    HttpRequest.Builder b = request(path).method(method, publisher);
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    return send(b);
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout);
    return token == null ? b : b.header("Authorization", "Bearer " + token);
  }

  private Response send(HttpRequest.Builder request) throws IOException, InterruptedException {
    return response(http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray()));
  }

  private static Response response(HttpResponse<byte[]> r) {
    long version = r.headers().firstValue(VERSION_HEADER).map(Long::parseLong).orElse(0L);
    return new Response(r.statusCode(), version, r.body());
  }
}
