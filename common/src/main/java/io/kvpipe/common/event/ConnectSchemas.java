package io.kvpipe.common.event;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The Kafka Connect JSON schemas of format 2 (what Connect's JsonConverter reads with {@code schemas.enable=true}):
 * the record key {@code <cluster>.kv.Key}, and the value {@code <cluster>.kv.Envelope} with rows
 * {@code <cluster>.kv.Value}, kvpipe's source block and Debezium's transaction block. Built once per cluster.
 */
final class ConnectSchemas {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private ConnectSchemas() {}

  static String key(String cluster) {
    ObjectNode s = struct(cluster + ".kv.Key", false);
    fields(s).add(field("string", false, "kv_key"));
    return write(s);
  }

  static String envelope(String cluster) {
    ObjectNode s = struct(cluster + ".kv.Envelope", false);
    s.put("version", 2);
    ArrayNode f = fields(s);
    f.add(row(cluster, "before"));
    f.add(row(cluster, "after"));
    f.add(source());
    f.add(transaction());
    f.add(field("string", false, "op"));
    f.add(field("int64", true, "ts_ms"));
    return write(s);
  }

  /** A row of the table {@code kv}: only key and value are known of a {@code before} image, so the rest is optional. */
  private static ObjectNode row(String cluster, String name) {
    ObjectNode s = struct(cluster + ".kv.Value", true);
    ArrayNode f = fields(s);
    f.add(field("string", false, "kv_key"));
    f.add(field("bytes", true, "kv_value"));
    f.add(field("int64", true, "version"));
    f.add(field("string", true, "group_id"));
    f.add(field("int64", true, "log_index"));
    s.put("field", name);
    return s;
  }

  private static ObjectNode source() {
    ObjectNode s = struct("io.kvpipe.connector.kvpipe.Source", false);
    ArrayNode f = fields(s);
    f.add(field("string", false, "version"));
    f.add(field("string", false, "connector"));
    f.add(field("string", false, "name"));
    f.add(field("int64", false, "ts_ms"));
    f.add(field("string", true, "snapshot"));
    f.add(field("string", false, "db"));
    f.add(field("string", false, "table"));
    f.add(field("string", false, "group"));
    f.add(field("int64", false, "log_index"));
    f.add(field("int32", false, "seq"));
    f.add(field("int64", false, "term"));
    f.add(field("int64", false, "epoch"));
    f.add(field("int64", false, "key_version"));
    f.add(field("string", false, "origin"));
    f.add(field("string", true, "txn_id"));
    s.put("field", "source");
    return s;
  }

  /** Debezium's transaction metadata block ({@code event.block}). */
  private static ObjectNode transaction() {
    ObjectNode s = struct("event.block", true);
    s.put("version", 1);
    ArrayNode f = fields(s);
    f.add(field("string", false, "id"));
    f.add(field("int64", false, "total_order"));
    f.add(field("int64", false, "data_collection_order"));
    s.put("field", "transaction");
    return s;
  }

  private static ObjectNode struct(String name, boolean optional) {
    ObjectNode s = F.objectNode();
    s.put("type", "struct");
    s.putArray("fields");
    s.put("optional", optional);
    s.put("name", name);
    return s;
  }

  private static ArrayNode fields(ObjectNode struct) {
    return (ArrayNode) struct.get("fields");
  }

  private static ObjectNode field(String type, boolean optional, String name) {
    ObjectNode f = F.objectNode();
    f.put("type", type);
    f.put("optional", optional);
    f.put("field", name);
    return f;
  }

  private static String write(ObjectNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
