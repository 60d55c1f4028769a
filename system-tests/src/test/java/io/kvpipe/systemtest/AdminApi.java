package io.kvpipe.systemtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.load.KvHttp;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The proxy's cluster administration API (admin token) as the scenarios use it: add and remove groups and peers,
 * follow and throttle migrations. Every call checks its status and fails the test with the response body otherwise.
 */
final class AdminApi {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KvHttp http;

  AdminApi(KvHttp http) {
    this.http = http;
  }

  MigrationView addGroup(String id, List<String> peers, long throttleKeysPerSecond, int batchSize) {
    ObjectNode body = JSON.createObjectNode().put("id", id).put("throttleKeysPerSecond", throttleKeysPerSecond)
        .put("batchSize", batchSize);
    peers.forEach(body.putArray("peers")::add);
    return MigrationView.of(call("POST", "/api/cluster/groups", body.toString(), 202).path("migration"));
  }

  MigrationView removeGroup(String id) {
    return MigrationView.of(call("DELETE", "/api/cluster/groups/" + id, null, 202).path("migration"));
  }

  MigrationView addPeer(String group, String peer) {
    String body = JSON.createObjectNode().put("peer", peer).toString();
    return MigrationView.of(call("POST", "/api/cluster/groups/" + group + "/peers", body, 202).path("migration"));
  }

  MigrationView removePeer(String group, String peerId) {
    return MigrationView.of(call("DELETE", "/api/cluster/groups/" + group + "/peers/" + peerId, null, 202)
        .path("migration"));
  }

  MigrationView migration(String id) {
    return MigrationView.of(call("GET", "/api/migrations/" + id, null, 200));
  }

  MigrationView throttle(String id, long keysPerSecond, int batchSize) {
    String body = JSON.createObjectNode().put("throttleKeysPerSecond", keysPerSecond).put("batchSize", batchSize)
        .toString();
    return MigrationView.of(call("PATCH", "/api/migrations/" + id, body, 200));
  }

  /** The topology snapshot as JSON ({@code GET /api/topology/snapshot}). */
  JsonNode topology() {
    return call("GET", "/api/topology/snapshot", null, 200);
  }

  /**
   * Polls the migration until it is finished, printing progress as it changes; fails unless it ended {@code done}.
   * {@code onEach} sees every view polled (e.g. to act mid-copy).
   */
  MigrationView awaitDone(String id, Duration timeout, Consumer<MigrationView> onEach) {
    AtomicReference<MigrationView> last = new AtomicReference<>();
    Poll.until("migration " + id + " to finish", timeout, Duration.ofMillis(250), () -> {
      MigrationView v = migration(id);
      MigrationView prev = last.getAndSet(v);
      if (prev == null || !prev.phase().equals(v.phase()) || prev.keysCopied() != v.keysCopied()) {
        System.out.printf("  migration %s: %s %d/%d keys, coordinator %s%n", id, v.phase(), v.keysCopied(),
            v.keysTotal(), v.coordinator());
      }
      onEach.accept(v);
      if (v.phase().equals("failed") || v.phase().equals("cancelled")) {
        throw new Poll.Abort("migration " + id + " ended " + v.phase() + ": " + v);
      }
      return v.finished();
    });
    return last.get();
  }

  JsonNode call(String method, String path, String body, int expectStatus) {
    KvHttp.Response r;
    try {
      r = http.json(method, path, body);
    } catch (Exception e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e, e);
    }
    if (r.status() == 503 && expectStatus != 503) {
      // Unavailable for now (e.g. the meta group between leaders): a poll takes it as "not yet", a one-off call fails.
      throw new IllegalStateException(method + " " + path + " -> 503: " + r.bodyText());
    }
    if (r.status() != expectStatus) {
      throw new AssertionError(method + " " + path + " -> " + r.status() + " (expected " + expectStatus + "): "
          + r.bodyText());
    }
    try {
      return r.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(r.body());
    } catch (java.io.IOException e) {
      throw new AssertionError(method + " " + path + " answered non-JSON: " + r.bodyText(), e);
    }
  }
}
