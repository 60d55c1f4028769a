package io.kvpipe.proxy;

import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.proxy.http.Exchange;
import io.kvpipe.proxy.kv.GroupClients;
import io.kvpipe.proxy.topology.TopologyWatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * {@code POST /api/cluster/snapshot}: asks every ring group's leader to publish each live key as an {@code op = r}
 * event at one consistent log index, so a new archive can start from nothing. Groups are asked in parallel; the answer
 * lists each group's snapshot index and event count, or its error. 200 only if every group succeeded.
 */
final class SnapshotApi {
  private final TopologyWatcher watcher;
  private final GroupClients groups;

  SnapshotApi(TopologyWatcher watcher, GroupClients groups) {
    this.watcher = watcher;
    this.groups = groups;
  }

  void publish(Exchange ex) {
    Map<String, CompletableFuture<Reply.SnapshotPublished>> started = new LinkedHashMap<>();
    for (String group : watcher.current().topology().ringMembers()) {
      started.put(group, groups.get(group).publishSnapshotAsync());
    }
    // Answer when every group has answered, without holding a request thread meanwhile.
    CompletableFuture.allOf(started.values().toArray(CompletableFuture[]::new)).whenComplete((ignored, err) -> {
      List<Map<String, Object>> results = new ArrayList<>();
      int status = 200;
      for (Map.Entry<String, CompletableFuture<Reply.SnapshotPublished>> e : started.entrySet()) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("group", e.getKey());
        try {
          Reply.SnapshotPublished done = e.getValue().join();
          r.put("logIndex", done.logIndex());
          r.put("events", done.events());
        } catch (CompletionException failed) {
          KvException kv = failed.getCause() instanceof KvException k ? k
              : new KvException(io.kvpipe.common.error.ErrorCode.INTERNAL, String.valueOf(failed.getCause()));
          r.put("error", kv.code().name());
          r.put("message", kv.getMessage());
          status = Math.max(status, kv.code().httpStatus());
        }
        results.add(r);
      }
      ex.sendJson(status, Map.of("groups", results));
    });
  }
}
