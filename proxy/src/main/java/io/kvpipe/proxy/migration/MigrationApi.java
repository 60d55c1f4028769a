package io.kvpipe.proxy.migration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.topology.Migration;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.ScanCursor;
import io.kvpipe.proxy.http.Access;
import io.kvpipe.proxy.http.Exchange;
import io.kvpipe.proxy.http.KeyPath;
import io.kvpipe.proxy.http.QueryParams;
import io.kvpipe.proxy.http.TokenAuth;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;

/**
 * Cluster administration over HTTP: {@code POST /api/cluster/groups}, {@code DELETE /api/cluster/groups/{id}},
 * {@code POST /api/cluster/groups/{id}/peers}, {@code DELETE /api/cluster/groups/{id}/peers/{peerId}},
 * {@code GET /api/cluster/groups/{id}/scan}, {@code GET /api/migrations[/{id}]}, {@code PATCH /api/migrations/{id}},
 * {@code POST /api/migrations/{id}/cancel}. Input is validated before anything changes (400 with the reason); the
 * coordinator's meta calls run on the blocking executor.
 */
public final class MigrationApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_BODY = 64 * 1024;

  private final MigrationCoordinator coordinator;
  private final ScanSource scans;
  private final TokenAuth auth;
  private final ExecutorService blocking;

  /** Scans one group over every range (the admin scan). */
  public interface ScanSource {
    /** Null if there is no such group. */
    CompletableFuture<Reply.ScanPage> scan(String group, ScanCursor after, int limit);
  }

  public MigrationApi(MigrationCoordinator coordinator, ScanSource scans, TokenAuth auth, ExecutorService blocking) {
    this.coordinator = coordinator;
    this.scans = scans;
    this.auth = auth;
    this.blocking = blocking;
  }

  // ---- /api/cluster/groups ----

  public void addGroup(Exchange ex) {
    ex.readBody(MAX_BODY, body -> {
      JsonNode root = object(body);
      String id = groupId(text(root, "id", true));
      List<Peer> peers = new ArrayList<>();
      JsonNode ps = root.get("peers");
      if (ps != null && !ps.isNull()) {
        if (!ps.isArray()) {
          throw bad("'peers' must be an array of \"id@host:port\" strings");
        }
        for (JsonNode p : ps) {
          if (!p.isTextual()) {
            throw bad("'peers' must be an array of \"id@host:port\" strings");
          }
          peers.add(peer(p.asText()));
        }
        if (!peers.isEmpty()) {
          try {
            new ShardGroup(id, peers); // e.g. a node listed twice
          } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
          }
        }
      }
      long throttle = longField(root, "throttleKeysPerSecond", 0);
      int batch = (int) longField(root, "batchSize", MigrationRecord.DEFAULT_BATCH);
      MigrationCoordinator.checkThrottle(throttle, batch);
      answer(ex, 202, () -> Map.of("migration", MigrationView.of(coordinator.addGroup(id, peers, throttle, batch))));
    });
  }

  /** {@code /api/cluster/groups/{id}[/peers[/{peerId}]|/scan]}. */
  public void groupSubresource(Exchange ex) {
    String[] parts = segments(ex.tail());
    String method = ex.method();
    if (parts.length == 1 && method.equals("DELETE")) {
      String id = groupId(parts[0]);
      answer(ex, 202, () -> Map.of("migration", MigrationView.of(coordinator.removeGroup(id, 0,
          MigrationRecord.DEFAULT_BATCH))));
    } else if (parts.length == 2 && parts[1].equals("peers") && method.equals("POST")) {
      String id = groupId(parts[0]);
      ex.readBody(MAX_BODY, body -> {
        Peer p = peer(text(object(body), "peer", true));
        answer(ex, 202, () -> Map.of("migration", MigrationView.of(coordinator.changePeers(Migration.ADD_PEER, id, p))));
      });
    } else if (parts.length == 3 && parts[1].equals("peers") && method.equals("DELETE")) {
      String id = groupId(parts[0]);
      String peerId = parts[2];
      Peer p;
      try {
        p = new Peer(peerId, "unknown", 1);
      } catch (IllegalArgumentException e) {
        throw bad(e.getMessage());
      }
      answer(ex, 202, () -> Map.of("migration", MigrationView.of(coordinator.changePeers(Migration.REMOVE_PEER, id,
          p))));
    } else if (parts.length == 2 && parts[1].equals("scan") && method.equals("GET")) {
      scan(ex, groupId(parts[0]));
    } else {
      throw new KvException(ErrorCode.NOT_FOUND, "no such endpoint");
    }
  }

  private void scan(Exchange ex, String group) {
    QueryParams q = QueryParams.parse(ex.query());
    long limit = q.longValue("limit", 1000);
    if (limit < 1 || limit > Query.MAX_ITEMS) {
      throw bad("limit must be within 1.." + Query.MAX_ITEMS);
    }
    String c = q.get("cursor");
    ScanCursor after;
    try {
      after = c == null || c.isEmpty() ? null : MigrationRecord.decodeCursor(c);
    } catch (IllegalArgumentException e) {
      throw bad("cursor is not one this API returned");
    }
    CompletableFuture<Reply.ScanPage> page = scans.scan(group, after, (int) limit);
    if (page == null) {
      throw new KvException(ErrorCode.UNKNOWN_GROUP, "unknown group " + group);
    }
    page.whenComplete((p, err) -> {
      if (err != null) {
        ex.fail(err);
        return;
      }
      List<Map<String, Object>> items = new ArrayList<>(p.entries().size());
      for (Entry e : p.entries()) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("key", Base64.getEncoder().encodeToString(e.key()));
        item.put("version", e.version());
        item.put("deleted", e.deleted());
        if (e.hasTtl()) {
          // As stored: a key past this deadline may still be here until its group's leader collects it.
          item.put("expiresAt", e.expiresAtMs());
        }
        items.add(item);
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("items", items);
      out.put("next", p.next() == null ? null : MigrationRecord.encodeCursor(p.next()));
      ex.sendJson(200, out);
    });
  }

  // ---- /api/migrations ----

  public void list(Exchange ex) {
    answer(ex, 200, () -> Map.of("migrations", MigrationView.list(coordinator.topology())));
  }

  /** {@code /api/migrations/{id}} (GET, PATCH) and {@code /api/migrations/{id}/cancel} (POST). */
  public void migration(Exchange ex) {
    String[] parts = segments(ex.tail());
    String method = ex.method();
    if (parts.length == 1 && method.equals("GET")) {
      String id = parts[0];
      answer(ex, 200, () -> MigrationView.of(coordinator.get(id).orElseThrow(
          () -> new KvException(ErrorCode.NOT_FOUND, "no migration " + id))));
    } else if (parts.length == 1 && method.equals("PATCH")) {
      auth.check(Access.ADMIN, ex.header(HttpHeader.AUTHORIZATION));
      String id = parts[0];
      ex.readBody(MAX_BODY, body -> {
        JsonNode root = object(body);
        Long throttle = root.has("throttleKeysPerSecond") ? longField(root, "throttleKeysPerSecond", 0) : null;
        Integer batch = root.has("batchSize") ? (int) longField(root, "batchSize", 0) : null;
        if (throttle == null && batch == null) {
          throw bad("give throttleKeysPerSecond and/or batchSize");
        }
        MigrationCoordinator.checkThrottle(throttle == null ? 0 : throttle,
            batch == null ? MigrationRecord.DEFAULT_BATCH : batch);
        answer(ex, 200, () -> MigrationView.of(coordinator.patch(id, throttle, batch)));
      });
    } else if (parts.length == 2 && parts[1].equals("cancel") && method.equals("POST")) {
      auth.check(Access.ADMIN, ex.header(HttpHeader.AUTHORIZATION));
      String id = parts[0];
      answer(ex, 202, () -> MigrationView.of(coordinator.cancel(id)));
    } else {
      throw new KvException(ErrorCode.NOT_FOUND, "no such endpoint");
    }
  }

  // ---- plumbing ----

  private void answer(Exchange ex, int status, Supplier<Object> body) {
    blocking.execute(() -> {
      try {
        ex.sendJson(status, body.get());
      } catch (RuntimeException e) {
        ex.fail(e);
      }
    });
  }

  private static String[] segments(String tail) {
    if (tail.isEmpty()) {
      throw new KvException(ErrorCode.NOT_FOUND, "no such endpoint");
    }
    String[] raw = tail.split("/", -1);
    String[] out = new String[raw.length];
    for (int i = 0; i < raw.length; i++) {
      if (raw[i].isEmpty()) {
        throw new KvException(ErrorCode.NOT_FOUND, "no such endpoint");
      }
      out[i] = new String(KeyPath.decode(raw[i]), StandardCharsets.UTF_8);
    }
    return out;
  }

  private static String groupId(String id) {
    try {
      return ShardGroup.checkId(id);
    } catch (IllegalArgumentException e) {
      throw bad(e.getMessage());
    }
  }

  private static Peer peer(String spec) {
    try {
      return Peer.parse(spec);
    } catch (IllegalArgumentException e) {
      throw bad(e.getMessage());
    }
  }

  private static JsonNode object(byte[] body) {
    try {
      JsonNode n = JSON.readTree(body);
      if (n == null || !n.isObject()) {
        throw bad("the body must be a JSON object");
      }
      return n;
    } catch (IOException e) {
      throw bad("the body is not valid JSON");
    }
  }

  private static String text(JsonNode root, String field, boolean required) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      if (required) {
        throw bad("'" + field + "' is required");
      }
      return null;
    }
    if (!n.isTextual()) {
      throw bad("'" + field + "' must be a string");
    }
    return n.asText();
  }

  private static long longField(JsonNode root, String field, long dflt) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw bad("'" + field + "' must be an integer");
    }
    return n.asLong();
  }

  private static KvException bad(String message) {
    return new KvException(ErrorCode.MALFORMED_REQUEST, message);
  }

  /** The admin scan over every range of {@code group}'s store, through the proxy's clients. */
  public static ScanSource scansOf(io.kvpipe.proxy.kv.GroupClients groups) {
    return (group, after, limit) -> {
      var c = groups.get(group);
      return c == null ? null : c.scanAsync(HashRanges.FULL, after, limit);
    };
  }
}
