package io.kvpipe.proxy.kv;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvpipe.common.Keys;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.error.OutcomeUnknownException;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import io.kvpipe.proxy.ProxyMetrics;
import io.kvpipe.proxy.http.ApiError;
import io.kvpipe.proxy.http.Exchange;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /v1/kv:batchGet} {@code {"keys":["a","b"],"consistency":"stale"}} →
 * {@code {"items":[{"key":"a","found":true,"value":"<base64>","version":N},{"key":"b","found":false}]}} (a key
 * with a TTL also has {@code "expiresAt"} and {@code "ttlMs"}, as the GET headers) and
 * {@code POST /v1/kv:batchPut} {@code {"items":[{"key":"a","value":"<base64>","ifMatch":N,"ttl":"30s"}]}} →
 * {@code {"items":[{"key":"a","version":N},...]}}. Each key is routed on its own (keys of one batch may live in
 * different groups), so a batch put is not atomic: each item reports its own outcome, and the response status is 200
 * only if every item succeeded, else the status of the first failed item (an item whose write may or may not have
 * happened says {@code "outcome":"unknown"}, as a single write's error does). A batch get names each key once and returns
 * at most {@code maxResponseBytes} of values (413 beyond), read a window at a time so an oversized one stops early.
 */
final class BatchApi {
  static final int MAX_ITEMS = 1000;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Decoder B64D = Base64.getDecoder();
  private static final Base64.Encoder B64 = Base64.getEncoder();

  private final KvRouter router;
  private final int maxValueBytes;
  private final long maxResponseBytes;
  private final ProxyMetrics metrics;

  BatchApi(KvRouter router, int maxValueBytes, long maxResponseBytes, ProxyMetrics metrics) {
    this.router = router;
    this.maxValueBytes = maxValueBytes;
    this.maxResponseBytes = maxResponseBytes;
    this.metrics = metrics;
  }

  void get(Exchange ex, byte[] body) {
    JsonNode root = parse(body);
    JsonNode keysNode = root.get("keys");
    if (keysNode == null || !keysNode.isArray() || keysNode.isEmpty() || keysNode.size() > MAX_ITEMS) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "'keys' must be an array of 1.." + MAX_ITEMS + " strings");
    }
    JsonNode consistency = root.get("consistency");
    boolean stale = KvApi.stale(consistency == null || consistency.isNull() ? null : consistency.asText());
    List<String> keys = new ArrayList<>();
    List<byte[]> keyBytes = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < keysNode.size(); i++) {
      String k = text(keysNode.get(i), "keys[" + i + "]");
      byte[] kb = validKey(k, "keys[" + i + "]");
      Integer first = seen.putIfAbsent(k, i);
      if (first != null) {
        // One stored value asked for a thousand times would be held and encoded a thousand times.
        metrics.rejected("batch_duplicate_keys");
        throw new KvException(ErrorCode.MALFORMED_REQUEST, "keys[" + i + "] repeats keys[" + first
            + "]: each key may appear once in a batch get");
      }
      keys.add(k);
      keyBytes.add(kb);
    }
    BoundedReads.run(keyBytes, kb -> router.read(kb, stale, ex.startNanos()), maxResponseBytes)
        .whenComplete((found, err) -> {
          if (err != null) {
            Throwable cause = err instanceof java.util.concurrent.CompletionException ? err.getCause() : err;
            if (cause instanceof BoundedReads.OverLimit over) {
              metrics.rejected("batch_get_bytes");
              ex.fail(new KvException(ErrorCode.VALUE_TOO_LARGE, "the values of this batch get add up to more than "
                  + over.limit() + " bytes (--max-batch-get-bytes): ask for fewer keys per batch"));
            } else {
              ex.fail(err);
            }
            return;
          }
          List<Map<String, Object>> items = new ArrayList<>();
          for (int i = 0; i < keys.size(); i++) {
            Optional<Entry> e = found.get(i);
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("key", keys.get(i));
            item.put("found", e.isPresent());
            e.ifPresent(entry -> {
              item.put("value", B64.encodeToString(entry.value()));
              item.put("version", entry.version());
              if (entry.hasTtl()) {
                KeyTtl t = KeyTtl.of(e, System.currentTimeMillis());
                item.put("expiresAt", t.expiresAtMs());
                item.put("ttlMs", t.remainingMs());
              }
            });
            items.add(item);
          }
          ex.sendJson(200, Map.of("items", items));
        });
  }

  void put(Exchange ex, byte[] body) {
    JsonNode root = parse(body);
    JsonNode itemsNode = root.get("items");
    if (itemsNode == null || !itemsNode.isArray() || itemsNode.isEmpty() || itemsNode.size() > MAX_ITEMS) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "'items' must be an array of 1.." + MAX_ITEMS + " objects");
    }
    record Item(String key, byte[] keyBytes, byte[] value, long expected, long ttlMs) {}
    List<Item> items = new ArrayList<>();
    // Validate everything first: a malformed item refuses the whole batch before anything is written.
    for (int i = 0; i < itemsNode.size(); i++) {
      JsonNode n = itemsNode.get(i);
      String where = "items[" + i + "]";
      if (n == null || !n.isObject()) {
        throw new KvException(ErrorCode.MALFORMED_REQUEST, where + " must be an object");
      }
      String k = text(n.get("key"), where + ".key");
      byte[] kb = validKey(k, where + ".key");
      byte[] value;
      try {
        value = B64D.decode(text(n.get("value"), where + ".value"));
      } catch (IllegalArgumentException e) {
        throw new KvException(ErrorCode.MALFORMED_REQUEST, where + ".value is not base64");
      }
      Keys.validateValue(value, maxValueBytes);
      JsonNode ifMatch = n.get("ifMatch");
      long expected = Request.ANY_VERSION;
      if (ifMatch != null && !ifMatch.isNull()) {
        if (!ifMatch.canConvertToLong() || ifMatch.asLong() < 0) {
          throw new KvException(ErrorCode.MALFORMED_REQUEST, where + ".ifMatch must be a version (0 = must not exist)");
        }
        expected = ifMatch.asLong();
      }
      JsonNode ttl = n.get("ttl");
      long ttlMs = io.kvpipe.common.Ttl.NONE;
      if (ttl != null && !ttl.isNull()) {
        ttlMs = io.kvpipe.common.Ttl.parse(text(ttl, where + ".ttl"), where + ".ttl");
      }
      items.add(new Item(k, kb, value, expected, ttlMs));
    }
    List<CompletableFuture<Reply.Written>> futures = new ArrayList<>();
    for (Item it : items) {
      futures.add(router.write(it.keyBytes(), c -> c.putAsync(it.key(), it.value(), it.expected(), it.ttlMs()),
          ex.startNanos()));
    }
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).whenComplete((ignored, err) -> {
      List<Map<String, Object>> out = new ArrayList<>();
      int status = 200;
      for (int i = 0; i < items.size(); i++) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("key", items.get(i).key());
        CompletableFuture<Reply.Written> f = futures.get(i);
        if (f.isCompletedExceptionally()) {
          KvException e = asKv(f);
          item.put("error", e.code().name());
          item.put("message", e.getMessage());
          if (e instanceof OutcomeUnknownException) {
            // As on a single write's error (ApiError): this item may have been written, the caller must read it.
            item.put("outcome", "unknown");
          }
          status = status == 200 ? ApiError.status(e.code()) : status;
        } else {
          item.put("version", f.join().version());
        }
        out.add(item);
      }
      ex.sendJson(status, Map.of("items", out));
    });
  }

  private static KvException asKv(CompletableFuture<?> f) {
    try {
      f.join();
      throw new IllegalStateException("not failed");
    } catch (RuntimeException e) {
      Throwable t = io.kvpipe.client.RaftErrors.unwrap(e);
      return t instanceof KvException kv ? kv : new KvException(ErrorCode.INTERNAL, String.valueOf(t));
    }
  }

  private static JsonNode parse(byte[] body) {
    try {
      JsonNode n = JSON.readTree(body);
      if (n == null || !n.isObject()) {
        throw new KvException(ErrorCode.MALFORMED_REQUEST, "the body must be a JSON object");
      }
      return n;
    } catch (IOException e) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "the body is not valid JSON");
    }
  }

  private static String text(JsonNode n, String where) {
    if (n == null || !n.isTextual()) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, where + " must be a string");
    }
    return n.asText();
  }

  private static byte[] validKey(String k, String where) {
    try {
      return Keys.validateKey(k);
    } catch (KvException e) {
      throw new KvException(e.code(), where + ": " + e.getMessage());
    }
  }
}
