package io.kvpipe.proxy.http;

import io.kvpipe.common.topology.Topology;
import io.kvpipe.proxy.HttpLimits;
import io.kvpipe.proxy.ProxyMetrics;
import io.kvpipe.proxy.topology.SseHub;
import io.kvpipe.proxy.topology.TopologyView;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * A real HTTP listener serving a data route ({@code GET /v1/kv/*} answers one byte) and the topology subscription
 * ({@code /api/topology/subscribe}) from a test's {@link SseHub}: for tests that speak raw HTTP to the proxy's listener;
 * {@link #serve} starts one for any routes.
 */
public final class SubscribeListener {
  private SubscribeListener() {}

  /** Started; the caller closes it. */
  public static HttpListener start(HttpLimits limits, String dataToken, ProxyMetrics metrics, SseHub sse,
                                   Supplier<TopologyView> view) throws Exception {
    Routes routes = Routes.builder()
        .prefix("/v1/kv/", "kv", Access.DATA, "GET", (Routes.Action) ex -> ex.sendBytes(200, new byte[] {'k'}))
        .exact("/api/topology/subscribe", "topology.subscribe", Access.DATA, "GET",
            (Routes.Action) ex -> sse.subscribe(ex, view))
        .build();
    return serve(limits, dataToken, metrics, routes);
  }

  /** A started listener on a free loopback port serving {@code routes} (admin token "admin-token-for-tests"). */
  public static HttpListener serve(HttpLimits limits, String dataToken, ProxyMetrics metrics, Routes routes)
      throws Exception {
    HttpListener listener = new HttpListener("127.0.0.1", 0, Duration.ofSeconds(30), limits,
        new ProxyHandler(routes, new TokenAuth(dataToken, "admin-token-for-tests"), metrics, limits.maxUriBytes()),
        metrics);
    listener.start();
    return listener;
  }

  /** An empty topology at {@code version}. */
  public static Topology topology(long version) {
    return new Topology(version, 1, null, List.of(), List.of(), List.of(), List.of(), version);
  }
}
