package io.kvpipe.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a process's Prometheus endpoint and picks samples out of the text. */
final class Scrape {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Scrape() {}

  /** A process's Prometheus endpoint and the bearer token it wants (null: none). */
  record Endpoint(URI metrics, String token) {}

  /** The endpoint's exposition text, or null if it does not answer 200. */
  static String text(Endpoint e) {
    try {
      HttpRequest.Builder req = HttpRequest.newBuilder(e.metrics()).timeout(Duration.ofSeconds(5));
      if (e.token() != null) {
        req.header("Authorization", "Bearer " + e.token());
      }
      HttpResponse<String> r = HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : null;
    } catch (IOException down) {
      return null;
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading metrics", ie);
    }
  }

  /**
   * The first sample of {@code name} whose labels contain {@code labels} (e.g. {@code kind="write"}; empty: any), NaN
   * if there is none or {@code text} is null.
   */
  static double value(String text, String name, String labels) {
    if (text == null) {
      return Double.NaN;
    }
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{([^}]*)\\})? (\\S+)$").matcher(text);
    while (m.find()) {
      if (labels.isEmpty() || (m.group(1) != null && m.group(1).contains(labels))) {
        return Double.parseDouble(m.group(2));
      }
    }
    return Double.NaN;
  }
}
