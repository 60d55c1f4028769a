package io.kvpipe.proxy;

import io.kvpipe.client.RaftTls;
import io.kvpipe.client.RetryWindow;
import io.kvpipe.common.Limits;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.proxy.watch.WatchConfig;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The proxy's effective configuration, built only by {@link ProxyConfigParser}. Immutable.
 *
 * @param listenHost         interface to bind
 * @param listenPort         HTTP port (0 = any free port, for tests)
 * @param metaPeers          replicas of the meta group (where the topology lives)
 * @param bootstrapGroups    groups to install as the first topology if the meta group holds none (may be empty)
 * @param vnodes             virtual nodes per group for a bootstrapped ring
 * @param tokens             bearer tokens: data (for /v1/kv and read-only /api endpoints) and admin (for /api/cluster/*
 *                           and mutating admin calls, also accepted where data is), several per role for rotation
 * @param metricsOpen        true: /metrics needs no token; false: it needs the data or admin token
 * @param maxValueBytes      largest value accepted
 * @param limits             bounds on what one caller can make the proxy hold (headers, URI, batch gets, SSE)
 * @param requestTimeout     deadline for one client request, retries included; beyond it 504
 * @param startupTimeout     how long start waits for the meta group and a topology; zero: no limit
 * @param idleTimeout        idle connection timeout
 * @param topologyPoll       how often the meta group's version is polled
 * @param healthInterval     how often every node is probed
 * @param healthTimeout      deadline of one probe
 * @param healthRetries      extra probe attempts within one round before it counts as a failure
 * @param healthFailureThreshold consecutive failed rounds before a node is marked down
 * @param httpTls            TLS on the HTTP listener (HTTPS), or empty for plain HTTP
 * @param watch              {@code GET /v1/watch}: the change topic it reads and its bounds
 * @param resp               the Redis-protocol listener (off unless a port is given)
 */
public record ProxyConfig(String listenHost, int listenPort, List<Peer> metaPeers, List<ShardGroup> bootstrapGroups,
                          int vnodes, TokenConfig tokens, boolean metricsOpen, int maxValueBytes,
                          HttpLimits limits, Duration requestTimeout, Duration startupTimeout, Duration idleTimeout, Duration topologyPoll,
                          Duration healthInterval, Duration healthTimeout, int healthRetries,
                          int healthFailureThreshold, RaftTls raftTls, Optional<ListenerTls> httpTls,
                          WatchConfig watch, io.kvpipe.proxy.resp.RespConfig resp) {
  public ProxyConfig {
    Objects.requireNonNull(listenHost, "listenHost");
    Objects.requireNonNull(raftTls, "raftTls");
    metaPeers = List.copyOf(metaPeers);
    bootstrapGroups = List.copyOf(bootstrapGroups);
    if (metaPeers.isEmpty()) {
      throw new IllegalArgumentException("--meta-peers is required (id@host:port,...)");
    }
    if (listenPort < 0 || listenPort > 65535) {
      throw new IllegalArgumentException("--port must be within 0..65535");
    }
    Objects.requireNonNull(tokens, "tokens");
    Objects.requireNonNull(httpTls, "httpTls");
    Objects.requireNonNull(watch, "watch");
    Objects.requireNonNull(resp, "resp");
    httpTls.ifPresent(io.kvpipe.proxy.http.TlsKeys::load); // a missing or unreadable key fails at start
    Limits.checkMaxValueBytes(maxValueBytes);
    Objects.requireNonNull(limits, "limits");
    if (limits.maxBatchGetBytes() < maxValueBytes) {
      throw new IllegalArgumentException("--max-batch-get-bytes must be at least --max-value-bytes (" + maxValueBytes
          + "), or a batch get of one large value could never succeed");
    }
    if (startupTimeout.isNegative()) {
      throw new IllegalArgumentException("--startup-timeout-ms cannot be negative (0: no limit)");
    }
    for (Duration d : List.of(requestTimeout, idleTimeout, topologyPoll, healthInterval, healthTimeout)) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("durations must be positive");
      }
    }
    try {
      // The proxy's group and meta clients resend within the request timeout plus one attempt of at most 3 s.
      RetryWindow.check(requestTimeout, Duration.ofSeconds(3));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--request-timeout-ms is too long: " + e.getMessage(), e);
    }
    if (healthRetries < 0 || healthFailureThreshold < 1) {
      throw new IllegalArgumentException("health retries must be >= 0 and the failure threshold >= 1");
    }
  }

  /** The body limit: the value cap plus room for a batch request's JSON and base64 overhead. */
  public long maxBodyBytes() {
    return (long) maxValueBytes * 4 / 3 + 64 * 1024;
  }

  /** One line per setting, tokens masked, for the start-up log. */
  public String describe() {
    return String.join("\n",
        "  listen                   " + listenHost + ":" + listenPort + (httpTls.isPresent() ? " (https)" : " (http)"),
        "  http-tls                 " + httpTls.map(Object::toString).orElse("off (plain HTTP)"),
        "  meta-peers               " + metaPeers,
        "  bootstrap-groups         " + bootstrapGroups,
        "  vnodes                   " + vnodes,
        "  data-tokens              " + tokens.describe("data"),
        "  admin-tokens             " + tokens.describe("admin"),
        "  metrics-open             " + metricsOpen,
        "  max-value-bytes          " + maxValueBytes,
        "  max-header-bytes         " + limits.maxHeaderBytes(),
        "  max-uri-bytes            " + limits.maxUriBytes(),
        "  max-batch-get-bytes      " + limits.maxBatchGetBytes(),
        "  max-sse-subscribers      " + limits.maxSseSubscribers(),
        "  sse-queue-frames         " + limits.sseQueueFrames(),
        "  request-timeout          " + requestTimeout,
        "  startup-timeout          " + (startupTimeout.isZero() ? "none" : startupTimeout),
        "  idle-timeout             " + idleTimeout,
        "  topology-poll            " + topologyPoll,
        "  health-interval          " + healthInterval,
        "  health-timeout           " + healthTimeout,
        "  health-retries           " + healthRetries,
        "  health-failure-threshold " + healthFailureThreshold,
        "  raft-transport           " + raftTls,
        "  resp                     " + resp.describe(httpTls.isPresent()),
        "  watch                    " + (watch.enabled() ? watch.topic() + " at " + watch.kafkaBootstrap().get()
            + ", max " + watch.maxWatchers() + " watchers, queue " + watch.queueEvents() + " events / "
            + watch.queueBytes() + " bytes, dedupe window " + watch.dedupeWindow() + ", catch-up readers "
            + watch.catchUpReaders() + ", heartbeat " + watch.heartbeat() : "off (no --kafka-bootstrap)"));
  }

  @Override
  public String toString() {
    return "ProxyConfig{\n" + describe() + "\n}";
  }
}
