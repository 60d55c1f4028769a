package io.kvpipe.proxy;

import io.kvpipe.proxy.http.Access;
import io.kvpipe.proxy.http.HttpListener;
import io.kvpipe.proxy.http.ProxyHandler;
import io.kvpipe.proxy.http.Routes;
import io.kvpipe.proxy.http.TokenAuth;
import io.kvpipe.proxy.http.TokenFiles;
import io.kvpipe.proxy.kv.GroupClients;
import io.kvpipe.proxy.kv.KvApi;
import io.kvpipe.proxy.kv.ScanApi;
import io.kvpipe.proxy.kv.KvRouter;
import io.kvpipe.proxy.kv.OwnershipSync;
import io.kvpipe.client.meta.MetaClient;
import io.kvpipe.proxy.migration.ClientShardOps;
import io.kvpipe.proxy.migration.MetaAccess;
import io.kvpipe.proxy.migration.MigrationApi;
import io.kvpipe.proxy.migration.MigrationCoordinator;
import io.kvpipe.proxy.migration.MigrationSettings;
import io.kvpipe.proxy.migration.MigrationStore;
import io.kvpipe.proxy.topology.GroupStatusMonitor;
import io.kvpipe.proxy.topology.HealthMonitor;
import io.kvpipe.proxy.topology.NodeProber;
import io.kvpipe.proxy.topology.SseHub;
import io.kvpipe.proxy.topology.TopologyApi;
import io.kvpipe.proxy.topology.TopologyWatcher;
import io.kvpipe.proxy.watch.WatchService;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One proxy instance: the Jetty server, the route table, and the components behind it (meta client, topology watcher,
 * group clients, health monitor, SSE hub, migration coordinator). {@link #start()} loads (or bootstraps) the topology before accepting
 * requests; {@link #close()} stops everything it started, in reverse order.
 */
public final class ProxyServer implements AutoCloseable {
  private final ProxyConfig config;
  private final ProxyMetrics metrics = new ProxyMetrics();
  private final MetaClient meta;
  private final TopologyWatcher watcher;
  private final GroupClients groups;
  private final HealthMonitor health;
  private final GroupStatusMonitor groupStatus;
  private final NodeProber prober;
  private final SseHub sse;
  private final ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
  private final HttpListener http;
  private final TokenFiles tokens;
  private final MigrationCoordinator migrations;
  private final WatchService watch;
  /** Null when no --resp-port is given. */
  private final io.kvpipe.proxy.resp.RespServer resp;
  private final KvRouter router;

  public ProxyServer(ProxyConfig config) {
    this(config, MigrationSettings.DEFAULTS);
  }

  public ProxyServer(ProxyConfig config, MigrationSettings migrationSettings) {
    this.config = config;
    this.sse = new SseHub(Duration.ofSeconds(15), config.limits().maxSseSubscribers(),
        config.limits().sseQueueFrames(), metrics);
    this.meta = new MetaClient(config.metaPeers(), config.requestTimeout(), config.raftTls());
    this.watcher = new TopologyWatcher(meta, config.topologyPoll());
    this.groups = new GroupClients(config.requestTimeout(), config.raftTls());
    metrics.groupCommit(groups::groupCommitStats);
    this.prober = new NodeProber(config.healthTimeout(), config.raftTls());
    this.health = new HealthMonitor(watcher, meta, metrics, config.healthInterval(), config.healthTimeout(),
        config.healthRetries(), config.healthFailureThreshold(), prober);
    this.groupStatus = new GroupStatusMonitor(() -> watcher.current().topology(), g -> {
      var client = groups.get(g);
      return client == null ? null : client.statusAsync();
    }, config.healthInterval(), config.healthTimeout(), prober,
        new io.kvpipe.common.topology.ShardGroup(io.kvpipe.client.meta.MetaClient.GROUP_NAME, config.metaPeers()));
    // SSE subscribers first: the other listeners may take long (a group added means a new Raft client, ~50 ms on a
    // loaded box in scripts/bench-topology.sh), and subscribers do not need them done (routing reads the view,
    // which is already current when listeners run).
    watcher.addListener(sse::publish);
    watcher.addListener(u -> metrics.topology(u.view().version(), u.view().topology().epoch()));
    watcher.addListener(u -> groups.update(u.view().topology()));

    this.router = new KvRouter(watcher, groups, metrics, config.requestTimeout());
    KvApi kv = new KvApi(router, config.maxValueBytes(), config.maxBodyBytes(), config.limits().maxBatchGetBytes(),
        metrics);
    ScanApi scans = new ScanApi(watcher, groups, metrics, config.requestTimeout(), config.limits().maxBatchGetBytes());
    TopologyApi topo = new TopologyApi(watcher, meta, sse, health, groupStatus, blocking);
    StatusApi status = new StatusApi(config, watcher, groupStatus, metrics);
    SnapshotApi snapshots = new SnapshotApi(watcher, groups);
    this.watch = new WatchService(config.watch(), metrics, blocking);
    this.tokens = new TokenFiles(config.tokens()::load, java.util.stream.Stream.of(config.tokens().dataTokenFile(),
        config.tokens().adminTokenFile()).flatMap(java.util.Optional::stream).toList(), Duration.ofSeconds(1));
    TokenAuth auth = new TokenAuth(tokens);
    // Unique per process: leases must tell two proxies apart even when they share a host and a configured port.
    String coordinatorId = "proxy-" + java.util.UUID.randomUUID().toString().substring(0, 8) + "@"
        + config.listenHost() + ":" + config.listenPort();
    this.migrations = new MigrationCoordinator(coordinatorId,
        new MigrationStore(MetaAccess.of(meta), System::currentTimeMillis),
        new ClientShardOps(groups, () -> watcher.refresh()), () -> watcher.current().topology(), migrationSettings,
        metrics);
    MigrationApi admin = new MigrationApi(migrations, MigrationApi.scansOf(groups), auth, blocking);
    Routes routes = Routes.builder()
        .exact("/health", "health", Access.OPEN, "GET", (Routes.Action) status::health)
        .exact("/ready", "ready", Access.OPEN, "GET", (Routes.Action) status::ready)
        .exact("/metrics", "metrics", config.metricsOpen() ? Access.OPEN : Access.DATA,
            "GET", (Routes.Action) status::metrics)
        .exact("/v1/kv", "kv.scan", Access.DATA, "GET", (Routes.Action) scans::scan)
        .exact("/v1/kv:batchGet", "kv.batchGet", Access.DATA, "POST", (Routes.Action) kv::batchGet)
        .exact("/v1/kv:batchPut", "kv.batchPut", Access.DATA, "POST", (Routes.Action) kv::batchPut)
        .exact("/v1/txn", "kv.txn", Access.DATA, "POST", (Routes.Action) kv::txn)
        .prefix("/v1/kv/", "kv", Access.DATA, "GET", (Routes.Action) kv::get, "PUT", (Routes.Action) kv::put,
            "DELETE", (Routes.Action) kv::delete)
        .exact("/v1/watch", "watch", Access.DATA, "GET", (Routes.Action) watch::watch)
        .exact("/api/status", "status", Access.DATA, "GET", (Routes.Action) status::status)
        .exact("/api/topology/snapshot", "topology.snapshot", Access.DATA, "GET", (Routes.Action) topo::snapshot)
        .exact("/api/topology/shards", "topology.shards", Access.DATA, "GET", (Routes.Action) topo::shards)
        .exact("/api/topology/nodes", "topology.nodes", Access.DATA, "GET", (Routes.Action) topo::nodes)
        .exact("/api/topology/version", "topology.version", Access.DATA, "GET", (Routes.Action) topo::version)
        .exact("/api/topology/events", "topology.events", Access.DATA, "GET", (Routes.Action) topo::events)
        .exact("/api/topology/subscribe", "topology.subscribe", Access.DATA, "GET", (Routes.Action) topo::subscribe)
        .exact("/api/topology/health", "topology.health", Access.ADMIN, "POST", (Routes.Action) topo::checkHealth)
        .exact("/api/cluster/config", "cluster.config", Access.ADMIN, "GET", (Routes.Action) status::clusterConfig)
        .exact("/api/cluster/snapshot", "cluster.snapshot", Access.ADMIN, "POST", (Routes.Action) snapshots::publish)
        .exact("/api/cluster/groups", "cluster.groups", Access.ADMIN, "POST", (Routes.Action) admin::addGroup)
        .prefix("/api/cluster/groups/", "cluster.group", Access.ADMIN, "GET", (Routes.Action) admin::groupSubresource,
            "POST", (Routes.Action) admin::groupSubresource, "DELETE", (Routes.Action) admin::groupSubresource)
        .exact("/api/migrations", "migrations", Access.DATA, "GET", (Routes.Action) admin::list)
        // GET needs a token; PATCH and cancel check for the admin token themselves.
        .prefix("/api/migrations/", "migration", Access.DATA, "GET", (Routes.Action) admin::migration,
            "PATCH", (Routes.Action) admin::migration, "POST", (Routes.Action) admin::migration)
        // Everything else under /api/cluster/ needs the admin token before it can even learn that it does not exist.
        .prefix("/api/cluster/", "cluster.unknown", Access.ADMIN)
        .build();

    // The Redis protocol shares the HTTP API's router, scans and tokens: same routing, reads, checks and CDC.
    this.resp = config.resp().enabled() ? new io.kvpipe.proxy.resp.RespServer(config.listenHost(), config.resp(),
        config.resp().tls(config.httpTls().isPresent()) ? config.httpTls() : java.util.Optional.empty(),
        router, scans, tokens, config.maxValueBytes(), config.maxBodyBytes(), config.limits().maxBatchGetBytes(),
        config.idleTimeout(), metrics) : null;
    http = new HttpListener(config.listenHost(), config.listenPort(), config.idleTimeout(), config.limits(),
        config.httpTls(), new ProxyHandler(routes, auth, metrics, config.limits().maxUriBytes()), metrics);
  }

  /** Loads (bootstrapping if configured and needed) the topology, then starts serving. */
  public ProxyServer start() throws Exception {
    // One budget for both waits (zero: none): the meta group may come up long after this proxy.
    long startNanos = System.nanoTime();
    watcher.bootstrapIfEmptyWithRetry(config.bootstrapGroups(), config.metaPeers(), config.vnodes(),
        config.startupTimeout());
    watcher.start();
    watcher.awaitReady(remaining(config.startupTimeout(), startNanos));
    blocking.execute(() -> OwnershipSync.run(watcher.current(), groups));
    health.start();
    groupStatus.start();
    migrations.start();
    watch.start();
    http.start();
    if (resp != null) {
      resp.start();
    }
    return this;
  }

  /** What is left of {@code budget} (zero: no limit) since {@code startNanos}; at least a millisecond. */
  private static Duration remaining(Duration budget, long startNanos) {
    if (budget.isZero()) {
      return Duration.ZERO;
    }
    Duration left = budget.minusNanos(System.nanoTime() - startNanos);
    return left.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : left;
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return http.port();
  }

  /** The bound RESP port; -1 when the RESP listener is off. */
  public int respPort() {
    return resp == null ? -1 : resp.port();
  }

  public TopologyWatcher watcher() {
    return watcher;
  }

  public MetaClient meta() {
    return meta;
  }

  /** Key routing with retries: the internal API other front ends (e.g. RESP) build on, TTLs included. */
  public KvRouter router() {
    return router;
  }

  public MigrationCoordinator migrations() {
    return migrations;
  }

  @Override
  public void close() throws Exception {
    migrations.close();
    watch.close();
    sse.close();
    if (resp != null) {
      resp.close();
    }
    http.close();
    tokens.close();
    health.close();
    groupStatus.close();
    prober.close();
    watcher.close();
    groups.close();
    blocking.shutdownNow();
    meta.close();
  }
}
