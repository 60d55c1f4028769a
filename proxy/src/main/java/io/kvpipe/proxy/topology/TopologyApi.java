package io.kvpipe.proxy.topology;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.topology.MetaState;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.proxy.http.Exchange;
import io.kvpipe.proxy.http.QueryParams;
import io.kvpipe.client.meta.MetaClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;

/**
 * {@code /api/topology/*}: reads answered from this proxy's current topology (kept within one poll interval of the
 * meta group), events read from the meta group, the SSE stream, and a health check on demand.
 */
public final class TopologyApi {
  private final TopologyWatcher watcher;
  private final MetaClient meta;
  private final SseHub sse;
  private final HealthMonitor health;
  private final GroupStatusMonitor groupStatus;
  private final ExecutorService blocking;

  public TopologyApi(TopologyWatcher watcher, MetaClient meta, SseHub sse, HealthMonitor health,
                     GroupStatusMonitor groupStatus, ExecutorService blocking) {
    this.watcher = watcher;
    this.meta = meta;
    this.sse = sse;
    this.health = health;
    this.groupStatus = groupStatus;
    this.blocking = blocking;
  }

  public void snapshot(Exchange ex) {
    ex.sendJson(200, ready().topology());
  }

  public void version(Exchange ex) {
    // Pre-encoded per topology version: at 20,000 queries/s a JSON encoding per query is CPU the proxy lacks.
    ex.sendRawJson(200, watcher.current().versionJson());
  }

  public void nodes(Exchange ex) {
    Topology t = ready().topology();
    ex.sendJson(200, Map.of("version", t.version(), "nodes", t.nodes()));
  }

  public void shards(Exchange ex) {
    TopologyView v = ready();
    Topology t = v.topology();
    Map<String, HashRanges> own = v.ownership();
    List<Map<String, Object>> shards = new ArrayList<>();
    GroupStatusMonitor.Snapshot status = groupStatus.latest();
    for (ShardGroup g : t.groups()) {
      HashRanges r = own.getOrDefault(g.id(), HashRanges.EMPTY);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", g.id());
      m.put("raftGroup", g.raftName());
      m.put("peers", g.peers());
      m.put("onRing", t.ringMembers().contains(g.id()));
      m.put("ranges", r.ranges().size());
      m.put("ownedFraction", (double) r.width() / HashRange.RING_SIZE);
      GroupStatus s = status.groups().get(g.id());
      m.put("leader", s == null ? null : s.leader());
      m.put("status", s);
      shards.add(m);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("version", t.version());
    out.put("epoch", t.epoch());
    out.put("vnodes", t.ring() == null ? 0 : t.ring().vnodes());
    out.put("statusCollectedAtMs", status.collectedAtMs());
    out.put("shards", shards);
    // The meta group (the topology's own Raft group) beside the shard groups: its leader, replicas and lags.
    GroupStatus ms = groupStatus.metaStatus();
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("id", MetaClient.GROUP_NAME);
    meta.put("raftGroup", MetaClient.GROUP_NAME);
    meta.put("leader", ms == null ? null : ms.leader());
    meta.put("status", ms);
    out.put("meta", meta);
    ex.sendJson(200, out);
  }

  public void events(Exchange ex) {
    QueryParams q = QueryParams.parse(ex.query());
    long since = q.longValue("since", 0);
    int limit = (int) q.longValue("limit", MetaState.MAX_EVENTS);
    blocking.execute(() -> {
      try {
        ex.sendJson(200, meta.eventsSince(since, limit));
      } catch (RuntimeException e) {
        ex.fail(e);
      }
    });
  }

  public void subscribe(Exchange ex) {
    ready();
    sse.subscribe(ex, watcher::current);
  }

  public void checkHealth(Exchange ex) {
    blocking.execute(() -> {
      try {
        var nodes = health.runNow();
        ex.sendJson(200, Map.of("nodes", nodes, "groups", groupStatus.refresh().groups().values(),
            "version", watcher.current().version()));
      } catch (RuntimeException e) {
        ex.fail(e);
      }
    });
  }

  private TopologyView ready() {
    TopologyView v = watcher.current();
    if (!v.isReady()) {
      throw new KvException(ErrorCode.UNAVAILABLE, "no topology loaded yet");
    }
    return v;
  }
}
