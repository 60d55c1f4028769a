package io.kvpipe.proxy;

import static io.kvpipe.proxy.ProxyTestCluster.DATA_TOKEN;
import static io.kvpipe.proxy.ProxyTestCluster.json;
import static io.kvpipe.proxy.ProxyTestCluster.req;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvpipe.testsupport.Poll;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-group status of {@code /api/topology/shards} and the leader check of {@code /ready} against three real
 * kv-node processes: the right leader after a leadership transfer, a stopped follower reported unreachable with a
 * commit lag that closes once it is back, and {@code /ready} 503 while a group has no leader, 200 after; the meta group
 * reported beside them.
 */
class GroupStatusIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void shardsReportLeaderRolesAndLagAndReadyNeedsALeaderPerGroup() throws Exception {
    try (ProxyTestCluster cluster = new ProxyTestCluster(dir)) {
      ProxyServer proxy = cluster.startProxy(cluster.config(64 * 1024));
      Poll.until("proxy ready", WAIT, () -> cluster.send(req(proxy, "/ready", null).GET()).statusCode() == 200);
      JsonNode ready = json(cluster.send(req(proxy, "/ready", null).GET()));
      assertThat(ready.path("checks").path("leaders").path("ok").asBoolean()).isTrue();

      // The reported leader is the one the nodes name, every other replica a follower.
      String leader = cluster.nodes.awaitLeader("g1", WAIT);
      Poll.until("g1's leader " + leader + " reported", WAIT, () -> leader.equals(shard(cluster, proxy, "g1")
          .path("leader").asText()));
      // A round may find a replica slow to answer on a loaded machine (unreachable for that round): poll.
      Poll.until("g1 reported as one leader and two followers", WAIT, () -> {
        List<String> roles = roles(shard(cluster, proxy, "g1"));
        roles.sort(null);
        return roles.equals(List.of("follower", "follower", "leader"));
      });
      // -1 is "not known this round" (the leader did not answer the round in time, as on a box at load 70): poll.
      Poll.until("g1's CDC outbox reported empty", WAIT, () -> shard(cluster, proxy, "g1").path("status").path("cdc")
          .path("outboxEvents").asLong() == 0);

      // Leadership moves: the API follows.
      String next = cluster.nodes.nodeIds().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
      Poll.until("leadership of g1 moved to " + next, WAIT, () -> cluster.nodes.transferLeadership("g1", next,
          Duration.ofSeconds(5)));
      Poll.until("new leader " + next + " reported", WAIT, () -> next.equals(shard(cluster, proxy, "g1")
          .path("leader").asText()));

      // A stopped follower falls behind: unreachable, with the commit lag the leader knows of.
      String follower = cluster.nodes.nodeIds().stream().filter(id -> !id.equals(next)).findFirst().orElseThrow();
      cluster.nodes.kill9(follower);
      for (int i = 0; i < 20; i++) {
        String key = "lag-" + i;
        HttpResponse<byte[]> put = cluster.send(req(proxy, "/v1/kv/" + key, DATA_TOKEN)
            .PUT(BodyPublishers.ofString("v" + i)));
        assertThat(put.statusCode()).as("put " + key).isBetween(200, 201);
      }
      Poll.until(follower + " reported unreachable and behind", WAIT, () -> {
        JsonNode r = replica(shard(cluster, proxy, "g1"), follower);
        return r.path("role").asText().equals("unreachable") && r.path("commitLag").asLong() > 0;
      });
      cluster.nodes.restart(follower, WAIT);
      Poll.until(follower + " caught up", WAIT, () -> {
        JsonNode r = replica(shard(cluster, proxy, "g1"), follower);
        return r.path("role").asText().equals("follower") && r.path("commitLag").asLong() == 0
            && r.path("appliedLag").asLong() == 0 && r.path("lastContactMs").asLong(-1) >= 0;
      });

      // Two of three replicas gone: no group can elect a leader, so the proxy is not ready, and says which.
      List<String> stopped = new ArrayList<>(cluster.nodes.nodeIds().subList(0, 2));
      stopped.forEach(cluster.nodes::kill9);
      Poll.until("proxy not ready without leaders", WAIT, () -> {
        HttpResponse<byte[]> r = cluster.send(req(proxy, "/ready", null).GET());
        return r.statusCode() == 503 && !json(r).path("checks").path("leaders").path("ok").asBoolean(true)
            && json(r).path("checks").path("leaders").path("detail").asText().contains("no reachable leader");
      });
      stopped.forEach(id -> cluster.nodes.process(id).start());
      stopped.forEach(id -> cluster.nodes.restartWait(id, WAIT));
      Poll.until("proxy ready again", WAIT, () -> cluster.send(req(proxy, "/ready", null).GET()).statusCode() == 200);
    }
  }

  /** The meta group is reported beside the shard groups: its leader, each replica's role, lags and last contact. */
  @Test
  void theMetaGroupIsReportedLikeTheShardGroups() throws Exception {
    try (ProxyTestCluster cluster = new ProxyTestCluster(dir)) {
      ProxyServer proxy = cluster.startProxy(cluster.config(64 * 1024));
      Poll.until("proxy ready", WAIT, () -> cluster.send(req(proxy, "/ready", null).GET()).statusCode() == 200);
      String leader = cluster.nodes.awaitLeader("meta", WAIT);
      Poll.until("meta's leader " + leader + " with two caught-up followers reported", WAIT, () -> {
        JsonNode meta = json(cluster.send(req(proxy, "/api/topology/shards", DATA_TOKEN).GET())).path("meta");
        List<String> roles = roles(meta);
        roles.sort(null);
        if (!leader.equals(meta.path("leader").asText()) || !roles.equals(List.of("follower", "follower", "leader"))) {
          return false;
        }
        for (JsonNode r : meta.path("status").path("replicas")) {
          if (r.path("commitLag").asLong(-1) != 0 || r.path("lastContactMs").asLong(-1) < 0) {
            return false;
          }
        }
        return meta.path("id").asText().equals("meta");
      });
    }
  }

  private static List<String> roles(JsonNode shard) {
    List<String> roles = new ArrayList<>();
    shard.path("status").path("replicas").forEach(r -> roles.add(r.path("role").asText()));
    return roles;
  }

  private static JsonNode replica(JsonNode shard, String id) {
    for (JsonNode r : shard.path("status").path("replicas")) {
      if (r.path("id").asText().equals(id)) {
        return r;
      }
    }
    throw new AssertionError("no replica " + id + " in " + shard);
  }

  private static JsonNode shard(ProxyTestCluster cluster, ProxyServer proxy, String group) {
    JsonNode all = json(cluster.send(req(proxy, "/api/topology/shards", DATA_TOKEN).GET()));
    for (JsonNode s : all.path("shards")) {
      if (s.path("id").asText().equals(group)) {
        return s;
      }
    }
    throw new AssertionError("no group " + group + " in " + all);
  }
}
