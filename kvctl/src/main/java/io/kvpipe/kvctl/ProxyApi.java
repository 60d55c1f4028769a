package io.kvpipe.kvctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The proxy's HTTP API as kvctl uses it: JSON in and out, bearer tokens, errors turned into {@link ApiException} (the
 * proxy answered) or {@link KvctlException} (it could not be reached). One instance per command run; not shared.
 */
public final class ProxyApi {
  static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final String dataToken;
  private final String adminToken;
  private final Duration timeout;
  private final HttpClient http;

  public ProxyApi(String baseUrl, String dataToken, String adminToken, Duration timeout) {
    this(baseUrl, dataToken, adminToken, timeout, null);
  }

  /** @param tls the trust for an https proxy; null: the JVM's default CAs */
  public ProxyApi(String baseUrl, String dataToken, String adminToken, Duration timeout, javax.net.ssl.SSLContext tls) {
    this.base = parseBase(baseUrl);
    this.dataToken = blankToNull(dataToken);
    this.adminToken = blankToNull(adminToken);
    this.timeout = timeout;
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(timeout);
    if (tls != null) {
      b.sslContext(tls);
    }
    this.http = b.build();
  }

  private static URI parseBase(String url) {
    try {
      URI u = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
      if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
        throw new IllegalArgumentException("not an http(s) URL");
      }
      return u;
    } catch (IllegalArgumentException e) {
      throw new KvctlException(ExitCodes.USAGE, "--proxy must be an http(s) URL like http://127.0.0.1:8080, got '"
          + url + "'");
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  public String baseUrl() {
    return base.toString();
  }

  /** Path segment encoding (group ids, peer ids, migration ids). */
  public static String segment(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** A read: the data token, or the admin token (accepted wherever the data token is) when only that is set. */
  public JsonNode get(String path) {
    return send("GET", path, null, readToken());
  }

  /** An admin read (e.g. {@code /api/cluster/...}). */
  public JsonNode adminGet(String path) {
    return send("GET", path, null, adminToken());
  }

  public JsonNode adminPost(String path, Object body) {
    return send("POST", path, body, adminToken());
  }

  public JsonNode adminPatch(String path, Object body) {
    return send("PATCH", path, body, adminToken());
  }

  public JsonNode adminDelete(String path) {
    return send("DELETE", path, null, adminToken());
  }

  /** {@code GET} of an open endpoint ({@code /ready}, {@code /health}): status code and body, no error mapping. */
  public HttpResponse<String> open(String path) {
    return exchange(HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).GET().build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8), "GET " + path);
  }

  /**
   * A streaming read (Server-Sent Events, e.g. {@code /v1/watch}): the open response body once the proxy answered 200;
   * any other status is an {@link ApiException} with the server's error code and message.
   */
  public java.io.InputStream stream(String pathAndQuery, String lastEventId) {
    String what = "GET " + pathAndQuery;
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(timeout)
        .header("Authorization", "Bearer " + readToken()).header("Accept", "text/event-stream").GET();
    if (lastEventId != null) {
      b.header("Last-Event-ID", lastEventId);
    }
    HttpResponse<java.io.InputStream> r = exchange(b.build(), HttpResponse.BodyHandlers.ofInputStream(), what);
    if (r.statusCode() == 200) {
      return r.body();
    }
    String body;
    try (java.io.InputStream in = r.body()) {
      body = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
    } catch (IOException e) {
      body = "";
    }
    throw refusal(what, r.statusCode(), body, parse(body));
  }

  /** The proxy's error answer ({@code {"error","message"}}, or whatever it sent) as an exception. */
  static ApiException refusal(String what, int status, String body, JsonNode json) {
    String code = json != null && json.hasNonNull("error") ? json.get("error").asText() : "HTTP_" + status;
    String message = json != null && json.hasNonNull("message") ? json.get("message").asText()
        : body.isBlank() ? "(empty body)" : body.strip();
    boolean unknown = json != null && "unknown".equals(json.path("outcome").asText(null));
    return new ApiException(what, status, code, message, unknown);
  }

  private String readToken() {
    if (dataToken != null) {
      return dataToken;
    }
    if (adminToken != null) {
      return adminToken;
    }
    throw new KvctlException(ExitCodes.USAGE, "no token: pass --token (or set KVPIPE_TOKEN)");
  }

  private String adminToken() {
    if (adminToken == null) {
      throw new KvctlException(ExitCodes.USAGE, "this command needs the admin token: pass --admin-token (or set "
          + "KVPIPE_ADMIN_TOKEN)");
    }
    return adminToken;
  }

  private JsonNode send(String method, String path, Object body, String token) {
    String what = method + " " + path;
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout)
        .header("Authorization", "Bearer " + token).header("Accept", "application/json");
    try {
      if (body != null) {
        b.header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
      } else {
        b.method(method, HttpRequest.BodyPublishers.noBody());
      }
    } catch (IOException e) {
      throw new KvctlException(ExitCodes.SERVER_ERROR, "cannot encode the request body of " + what, e);
    }
    HttpResponse<String> r = exchange(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8), what);
    JsonNode json = parse(r.body());
    if (r.statusCode() / 100 != 2) {
      throw refusal(what, r.statusCode(), r.body(), json);
    }
    if (json == null) {
      throw new KvctlException(ExitCodes.SERVER_ERROR, what + ": the proxy answered " + r.statusCode()
          + " without a JSON body");
    }
    return json;
  }

  private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> body, String what) {
    try {
      return http.send(request, body);
    } catch (IOException e) {
      throw new KvctlException(ExitCodes.SERVER_ERROR, "cannot reach the proxy at " + base + " (" + what + "): "
          + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KvctlException(ExitCodes.SERVER_ERROR, "interrupted during " + what, e);
    }
  }

  private static JsonNode parse(String body) {
    if (body == null || body.isBlank()) {
      return null;
    }
    try {
      return JSON.readTree(body);
    } catch (IOException notJson) {
      return null; // the caller reports the raw body
    }
  }
}
