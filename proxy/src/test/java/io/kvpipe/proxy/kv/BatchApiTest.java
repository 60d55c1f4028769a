package io.kvpipe.proxy.kv;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvpipe.proxy.HttpLimits;
import io.kvpipe.proxy.ProxyMetrics;
import io.kvpipe.proxy.http.Access;
import io.kvpipe.proxy.http.HttpListener;
import io.kvpipe.proxy.http.Routes;
import io.kvpipe.proxy.http.SubscribeListener;
import io.kvpipe.proxy.topology.TopologyView;
import io.kvpipe.testsupport.tls.TestTls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A batch put through the real listener and handler to a group that never answers (its one replica is not there):
 * each item's write times out at the proxy's deadline, so its outcome is unknown, and the item says so.
 */
class BatchApiTest {
  private static final String TOKEN = "data-token-for-tests";
  private static final HttpLimits LIMITS = new HttpLimits(2048, 512, 1 << 20, 2, 4);

  private final ProxyMetrics metrics = new ProxyMetrics();
  private final TopologyView view = KvRouterTest.view();
  private final GroupClients groups = new GroupClients(Duration.ofSeconds(2), TestTls.cluster().raftTls());
  private HttpListener listener;

  @BeforeEach
  void start() throws Exception {
    groups.update(view.topology());
    BatchApi batch = new BatchApi(new KvRouter(KvRouterTest.fixed(view), groups, metrics, Duration.ofMillis(300)),
        1 << 16, 1 << 20, metrics);
    Routes routes = Routes.builder()
        .exact("/v1/kv:batchPut", "kv.batchPut", Access.DATA, "POST",
            (Routes.Action) ex -> ex.readBody(1 << 20, body -> batch.put(ex, body)))
        .build();
    listener = SubscribeListener.serve(LIMITS, TOKEN, metrics, routes);
  }

  @AfterEach
  void stop() throws Exception {
    listener.close();
    groups.close();
  }

  @Test
  void anItemWhoseWriteTimedOutSaysItsOutcomeIsUnknown() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + listener.port() + "/v1/kv:batchPut"))
        .header("Authorization", "Bearer " + TOKEN)
        .POST(HttpRequest.BodyPublishers.ofString("{\"items\":[{\"key\":\"a\",\"value\":\"dg==\"}]}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(504);
    assertThat(r.headers().firstValue("Retry-After")).isEmpty();
    JsonNode item = new ObjectMapper().readTree(r.body()).get("items").get(0);
    assertThat(item.get("key").asText()).isEqualTo("a");
    assertThat(item.get("error").asText()).isEqualTo("TIMEOUT");
    assertThat(item.get("outcome").asText()).isEqualTo("unknown");
    assertThat(item.has("version")).isFalse();
  }
}
