package io.kvpipe.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.error.OutcomeUnknownException;
import io.kvpipe.proxy.HttpLimits;
import io.kvpipe.proxy.ProxyMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Review finding 5: what an error looks like on the wire, through the real listener, handler and {@link Exchange}. An
 * unknown write outcome says so in its body ({@code "outcome":"unknown"}) and carries no Retry-After, which would
 * invite a blind resend; a definite refusal with the same code keeps its body and Retry-After.
 */
class ErrorResponseTest {
  private static final String TOKEN = "data-token-for-tests";
  private static final HttpLimits LIMITS = new HttpLimits(2048, 512, 1 << 20, 2, 4);
  /** What each test route fails with, wrapped as a future's failure arrives at a handler. */
  private static final Map<String, KvException> FAILURES = Map.of(
      "unknown-unavailable", new OutcomeUnknownException(ErrorCode.UNAVAILABLE, "group g1 left the topology"),
      "unknown-timeout", new OutcomeUnknownException(ErrorCode.TIMEOUT, "request did not complete within 5000 ms"),
      "refused-unavailable", new KvException(ErrorCode.UNAVAILABLE, "no topology loaded yet"),
      "read-timeout", new KvException(ErrorCode.TIMEOUT, "request did not complete within 5000 ms"));

  private final ProxyMetrics metrics = new ProxyMetrics();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private HttpListener listener;

  @BeforeEach
  void start() throws Exception {
    Routes routes = Routes.builder()
        .prefix("/t/", "test", Access.DATA, "PUT",
            (Routes.Action) ex -> ex.fail((Throwable) new CompletionException(FAILURES.get(ex.tail()))))
        .build();
    listener = SubscribeListener.serve(LIMITS, TOKEN, metrics, routes);
  }

  @AfterEach
  void stop() throws Exception {
    listener.close();
  }

  private HttpResponse<String> put(String what) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + listener.port() + "/t/" + what))
        .header("Authorization", "Bearer " + TOKEN).PUT(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    return new ObjectMapper().readTree(r.body());
  }

  @Test
  void anUnknownOutcomeSaysSoAndInvitesNoRetry() throws Exception {
    HttpResponse<String> r = put("unknown-unavailable");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.headers().firstValue("Retry-After")).isEmpty();
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode body = json(r);
    assertThat(body.get("error").asText()).isEqualTo("UNAVAILABLE");
    assertThat(body.get("message").asText()).isEqualTo("group g1 left the topology");
    assertThat(body.get("outcome").asText()).isEqualTo("unknown");

    HttpResponse<String> t = put("unknown-timeout");
    assertThat(t.statusCode()).isEqualTo(504);
    assertThat(t.headers().firstValue("Retry-After")).isEmpty();
    assertThat(json(t).get("error").asText()).isEqualTo("TIMEOUT");
    assertThat(json(t).get("outcome").asText()).isEqualTo("unknown");
  }

  @Test
  void aDefiniteRefusalKeepsItsBodyAndRetryAfter() throws Exception {
    HttpResponse<String> r = put("refused-unavailable");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(r.body()).isEqualTo("{\"error\":\"UNAVAILABLE\",\"message\":\"no topology loaded yet\"}");

    HttpResponse<String> t = put("read-timeout");
    assertThat(t.statusCode()).isEqualTo(504);
    assertThat(t.headers().firstValue("Retry-After")).isEmpty();
    assertThat(t.body()).isEqualTo("{\"error\":\"TIMEOUT\",\"message\":\"request did not complete within 5000 ms\"}");
  }
}
