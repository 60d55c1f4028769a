package io.kvpipe.proxy.kv;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvpipe.common.Keys;
import io.kvpipe.common.Limits;
import io.kvpipe.common.Versions;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Command.Compare;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Request;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Parses the body of {@code POST /v1/txn} (see docs/txn.md) into a {@link Command.Txn}. Strict: an unknown field is
 * refused, not ignored, since a misspelt {@code "compare"} would otherwise turn a conditional transaction into an
 * unconditional one. Everything is checked here, so a malformed request never reaches a group.
 */
final class TxnRequest {
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final Base64.Decoder B64 = Base64.getDecoder();

  private TxnRequest() {}

  static Command.Txn parse(byte[] body, int maxValueBytes) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw malformed("the body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw malformed("the body is not valid JSON");
    }
    if (root == null || !root.isObject()) {
      throw malformed("the body must be a JSON object");
    }
    onlyFields(root, "", "compare", "success", "failure");
    List<Compare> compares = new ArrayList<>();
    for (JsonNode n : array(root, "compare")) {
      compares.add(compare(n, "compare[" + compares.size() + "]", maxValueBytes));
    }
    List<Request> success = branch(root, "success", maxValueBytes);
    List<Request> failure = branch(root, "failure", maxValueBytes);
    if (success.isEmpty() && failure.isEmpty()) {
      throw malformed("a transaction needs at least one op in 'success' or 'failure'");
    }
    long bytes = 0;
    for (Compare c : compares) {
      bytes += c.key().length + (c.value() == null ? 0 : c.value().length) + Limits.BULK_RECORD_OVERHEAD_BYTES;
    }
    for (Request op : success) {
      bytes += opBytes(op);
    }
    for (Request op : failure) {
      bytes += opBytes(op);
    }
    long max = Limits.maxBulkBytes(maxValueBytes);
    if (bytes > max) {
      throw new KvException(ErrorCode.VALUE_TOO_LARGE, "the transaction carries " + bytes
          + " bytes of keys and values; the limit is " + max);
    }
    return new Command.Txn(compares, success, failure);
  }

  private static long opBytes(Request op) {
    byte[] value = op instanceof Command.Put p ? p.value() : null;
    return Command.Txn.keyOf(op).length + (value == null ? 0 : value.length) + Limits.BULK_RECORD_OVERHEAD_BYTES;
  }

  private static List<JsonNode> array(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      return List.of();
    }
    if (!n.isArray() || n.size() > Command.Txn.MAX_OPS) {
      throw malformed("'" + field + "' must be an array of at most " + Command.Txn.MAX_OPS + " objects");
    }
    List<JsonNode> out = new ArrayList<>();
    n.forEach(out::add);
    return out;
  }

  private static Compare compare(JsonNode n, String where, int maxValueBytes) {
    object(n, where);
    byte[] key = key(n, where);
    String target = text(n.get("target"), where + ".target");
    return switch (target) {
      case "value" -> {
        onlyFields(n, where, "key", "target", "value");
        yield new Compare(key, Compare.Target.VALUE, value(n, where, maxValueBytes), 0);
      }
      case "version" -> {
        onlyFields(n, where, "key", "target", "version");
        JsonNode v = n.get("version");
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < Versions.NONE) {
          throw malformed(where + ".version must be a version (0: the key has no live value)");
        }
        yield new Compare(key, Compare.Target.VERSION, null, v.asLong());
      }
      case "exists" -> {
        onlyFields(n, where, "key", "target");
        yield new Compare(key, Compare.Target.EXISTS, null, 0);
      }
      case "missing" -> {
        onlyFields(n, where, "key", "target");
        yield new Compare(key, Compare.Target.MISSING, null, 0);
      }
      default -> throw malformed(where + ".target must be one of value, version, exists, missing; got '" + target
          + "'");
    };
  }

  private static List<Request> branch(JsonNode root, String field, int maxValueBytes) {
    List<Request> ops = new ArrayList<>();
    Set<ByteBuffer> written = new HashSet<>();
    for (JsonNode n : array(root, field)) {
      String where = field + "[" + ops.size() + "]";
      object(n, where);
      String op = text(n.get("op"), where + ".op");
      byte[] key = key(n, where);
      Request r = switch (op) {
        case "put" -> {
          onlyFields(n, where, "op", "key", "value");
          yield Command.Put.unconditional(key, value(n, where, maxValueBytes));
        }
        case "delete" -> {
          onlyFields(n, where, "op", "key");
          yield new Command.Delete(key, Request.ANY_VERSION);
        }
        case "get" -> {
          onlyFields(n, where, "op", "key");
          yield new Query.Get(key);
        }
        default -> throw malformed(where + ".op must be put, delete or get; got '" + op + "'");
      };
      if (!(r instanceof Query.Get) && !written.add(ByteBuffer.wrap(key))) {
        // Both writes would get the entry's one version.
        throw malformed(where + " writes the key '" + n.get("key").asText() + "' a second time in '" + field
            + "': a branch writes each key at most once");
      }
      ops.add(r);
    }
    return ops;
  }

  private static void object(JsonNode n, String where) {
    if (n == null || !n.isObject()) {
      throw malformed(where + " must be an object");
    }
  }

  private static void onlyFields(JsonNode n, String where, String... allowed) {
    Iterator<String> names = n.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!List.of(allowed).contains(name)) {
        throw malformed((where.isEmpty() ? "" : where + ": ") + "unknown field '" + name + "' (expected "
            + String.join(", ", allowed) + ")");
      }
    }
  }

  private static byte[] key(JsonNode n, String where) {
    String k = text(n.get("key"), where + ".key");
    try {
      return Keys.validateKey(k);
    } catch (KvException e) {
      throw new KvException(e.code(), where + ".key: " + e.getMessage());
    }
  }

  private static byte[] value(JsonNode n, String where, int maxValueBytes) {
    byte[] value;
    try {
      value = B64.decode(text(n.get("value"), where + ".value"));
    } catch (IllegalArgumentException e) {
      throw malformed(where + ".value is not base64");
    }
    try {
      Keys.validateValue(value, maxValueBytes);
    } catch (KvException e) {
      throw new KvException(e.code(), where + ".value: " + e.getMessage());
    }
    return value;
  }

  private static String text(JsonNode n, String where) {
    if (n == null || !n.isTextual()) {
      throw malformed(where + " must be a string");
    }
    return n.asText();
  }

  private static KvException malformed(String message) {
    return new KvException(ErrorCode.MALFORMED_REQUEST, message);
  }
}
