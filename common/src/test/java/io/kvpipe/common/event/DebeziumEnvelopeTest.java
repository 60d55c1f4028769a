package io.kvpipe.common.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvpipe.common.KvpipeVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class DebeziumEnvelopeTest {
  private static final byte[] BINARY = {0, (byte) 0xff, 10, 13, '"', '\\', (byte) 0x80};
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DebeziumEnvelope BARE = DebeziumEnvelope.of(new EnvelopeOptions("prod", false));
  private static final DebeziumEnvelope WITH_SCHEMAS = DebeziumEnvelope.of(new EnvelopeOptions("prod", true));
  private static final List<ChangeEvent> EVENTS = List.of(
      new ChangeEvent(Op.CREATE, "k", null, BINARY, 1_700_000_000_123L, "g1", 42, 3, 1, 1099511627818L, Origin.CLIENT),
      new ChangeEvent(Op.UPDATE, "ключ 🔑", BINARY, new byte[0], 1L, "g2.57", 43, 3, 2, 2199023255595L,
          Origin.MIGRATION),
      new ChangeEvent(Op.DELETE, "k", BINARY, null, 2L, "g1", 44, 4, 1, 1099511627820L, Origin.CLIENT),
      new ChangeEvent(Op.DELETE, "never-live", null, null, 2L, "g1", 44, 1, 4, 1, 1099511627820L, Origin.CLIENT),
      new ChangeEvent(Op.READ, "k2", null, BINARY, 3L, "g1", 45, 7, 4, 1, 1099511627821L, Origin.SNAPSHOT),
      new ChangeEvent(Op.READ, "k3", null, BINARY, 3L, "g1", 45, Integer.MAX_VALUE, 4, 1, 9L, Origin.SNAPSHOT),
      new ChangeEvent(Op.UPDATE, "{t}a", BINARY, BINARY, 4L, "g3.57", 46, 1, 4, 1, 10L, Origin.CLIENT, true),
      new ChangeEvent(Op.DELETE, "{t}b", null, null, 4L, "g3.57", 46, 2, 4, 1, 10L, Origin.CLIENT, true));

  @Test
  void roundTripsEveryOpWithAndWithoutSchemas() {
    for (DebeziumEnvelope env : List.of(BARE, WITH_SCHEMAS)) {
      for (ChangeEvent e : EVENTS) {
        EncodedEvent r = env.encode(e, 77L);
        assertThat(ChangeEventCodec.decode(r.value())).as("%s %s", env, e).isEqualTo(e);
        assertThat(ChangeEventCodec.decode(r.value(), EnvelopeFormat.DEBEZIUM)).isEqualTo(e);
        assertThat(DebeziumEnvelope.decodeKey(r.key())).isEqualTo(e.key());
      }
    }
  }

  @Test
  void writesDebeziumsEnvelopeWithRowStructs() throws Exception {
    ChangeEvent e = new ChangeEvent(Op.UPDATE, "k", "old".getBytes(StandardCharsets.UTF_8),
        "new".getBytes(StandardCharsets.UTF_8), 5L, "g1", 42, 3, 1, 99, Origin.CLIENT);
    EncodedEvent r = BARE.encode(e, 6L);
    assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("{\"kv_key\":\"k\"}");
    assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo(
        "{\"before\":{\"kv_key\":\"k\",\"kv_value\":\"b2xk\",\"version\":null,\"group_id\":null,\"log_index\":null},"
            + "\"after\":{\"kv_key\":\"k\",\"kv_value\":\"bmV3\",\"version\":99,\"group_id\":\"g1\",\"log_index\":42},"
            + "\"source\":{\"version\":\"" + KvpipeVersion.get() + "\",\"connector\":\"kvpipe\",\"name\":\"prod\","
            + "\"ts_ms\":5,\"snapshot\":\"false\",\"db\":\"prod\",\"table\":\"kv\",\"group\":\"g1\",\"log_index\":42,"
            + "\"seq\":0,\"term\":3,\"epoch\":1,\"key_version\":99,\"origin\":\"client\"},"
            + "\"transaction\":{\"id\":\"g1:42\",\"total_order\":1,\"data_collection_order\":1},\"op\":\"u\",\"ts_ms\":6}");
    assertThat(KvpipeVersion.get()).doesNotContain("${").isNotBlank();
  }

  @Test
  void schemaEnvelopeDescribesEveryPayloadField() throws Exception {
    ChangeEvent e = EVENTS.get(1);
    JsonNode value = JSON.readTree(WITH_SCHEMAS.encode(e, 1L).value());
    assertThat(value.fieldNames()).toIterable().containsExactly("schema", "payload");
    JsonNode schema = value.get("schema");
    assertThat(schema.get("name").asText()).isEqualTo("prod.kv.Envelope");
    JsonNode payload = value.get("payload");
    List<String> declared = fieldNames(schema);
    assertThat(declared).containsExactly("before", "after", "source", "transaction", "op", "ts_ms");
    assertThat(payload.fieldNames()).toIterable().containsExactlyElementsOf(declared);
    for (JsonNode f : schema.get("fields")) {
      if (f.get("type").asText().equals("struct")) {
        // txn_id is optional and only written in a transaction's events.
        assertThat(payload.get(f.get("field").asText()).fieldNames()).toIterable()
            .as(f.get("field").asText()).containsExactlyElementsOf(fieldNames(f).stream()
                .filter(n -> !n.equals("txn_id")).toList());
      }
    }
    JsonNode txnPayload = JSON.readTree(WITH_SCHEMAS.encode(EVENTS.get(6), 1L).value()).get("payload");
    assertThat(txnPayload.get("source").fieldNames()).toIterable()
        .containsExactlyElementsOf(fieldNames(schema.get("fields").get(2)));
    JsonNode key = JSON.readTree(WITH_SCHEMAS.encode(e, 1L).key());
    assertThat(key.get("schema").get("name").asText()).isEqualTo("prod.kv.Key");
    assertThat(key.get("payload").get("kv_key").asText()).isEqualTo(e.key());
    assertThat(JSON.readTree(BARE.encode(e, 1L).value()).get("after").get("kv_value").asText())
        .isEqualTo(payload.get("after").get("kv_value").asText());
  }

  private static List<String> fieldNames(JsonNode struct) {
    List<String> names = new java.util.ArrayList<>();
    struct.get("fields").forEach(f -> names.add(f.get("field").asText()));
    return names;
  }

  @Test
  void sourceAndTransactionCarryTheIdentity() throws Exception {
    ChangeEvent e = EVENTS.get(4);
    JsonNode v = JSON.readTree(BARE.encode(e, 1L).value());
    assertThat(v.get("source").get("snapshot").asText()).isEqualTo("true");
    assertThat(v.get("source").get("ts_ms").asLong()).isEqualTo(e.tsMs());
    assertThat(v.get("transaction").get("id").asText()).isEqualTo("g1:45");
    assertThat(v.get("transaction").get("total_order").asLong()).isEqualTo(8);
    JsonNode never = JSON.readTree(BARE.encode(EVENTS.get(3), 1L).value());
    assertThat(never.get("before").get("kv_key").asText()).isEqualTo("never-live");
    assertThat(never.get("before").get("kv_value").isNull()).isTrue();
    assertThat(never.get("after").isNull()).isTrue();
  }

  @Test
  void aTransactionsEventsNameItsLogEntryAsTheirTransaction() throws Exception {
    JsonNode v = JSON.readTree(BARE.encode(EVENTS.get(6), 1L).value());
    assertThat(v.get("source").get("txn_id").asText()).isEqualTo("g3.57:46");
    assertThat(v.get("transaction").get("id").asText()).isEqualTo("g3.57:46");
    assertThat(ChangeEventCodec.decode(BARE.encode(EVENTS.get(7), 1L).value()).txnId()).isEqualTo("g3.57:46");
    // Outside a transaction the field is absent, so those events are byte for byte what they were before it existed.
    assertThat(JSON.readTree(BARE.encode(EVENTS.get(0), 1L).value()).get("source").has("txn_id")).isFalse();
    assertThat(ChangeEventCodec.decode(BARE.encode(EVENTS.get(0), 1L).value()).txn()).isFalse();
    String forged = new String(BARE.encode(EVENTS.get(6), 1L).value(), StandardCharsets.UTF_8)
        .replace("\"txn_id\":\"g3.57:46\"", "\"txn_id\":\"g3.57:45\"");
    assertThatThrownBy(() -> ChangeEventCodec.decode(forged.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MalformedEventException.class).hasMessageContaining("txn_id");
    String nulled = new String(BARE.encode(EVENTS.get(6), 1L).value(), StandardCharsets.UTF_8)
        .replace("\"txn_id\":\"g3.57:46\"", "\"txn_id\":null");
    assertThat(ChangeEventCodec.decode(nulled.getBytes(StandardCharsets.UTF_8)).txn()).isFalse();
  }

  @Test
  void maxEncodedSizeBoundsEveryEncodingAndIsExactForTheWorstCase() {
    String controls = "\u0001".repeat(512); // each byte escaped in six bytes
    String emoji = "🔑".repeat(128);          // 512 bytes of 4-byte characters, written raw
    for (DebeziumEnvelope env : List.of(BARE, WITH_SCHEMAS)) {
      for (String key : new String[] {"k", controls, emoji, "\"".repeat(512)}) {
        int keyBytes = key.getBytes(StandardCharsets.UTF_8).length;
        for (int before : new int[] {-1, 0, 1, 2, 3, 4, 1000, 100_001}) {
          for (int after : new int[] {-1, 0, 5, 65_537}) {
            ChangeEvent e = new ChangeEvent(after < 0 ? Op.DELETE : Op.UPDATE, key,
                before < 0 ? null : new byte[before], after < 0 ? null : new byte[after], Long.MIN_VALUE,
                "g".repeat(63), Long.MIN_VALUE, Integer.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE,
                Origin.MIGRATION, true);
            EncodedEvent r = env.encode(e, Long.MIN_VALUE);
            long size = r.key().length + r.value().length;
            long bound = env.maxEncodedSize(keyBytes, before, after);
            assertThat(size).as(key.length() + "/" + before + "/" + after).isLessThanOrEqualTo(bound);
            if (key.equals(controls)) {
              assertThat(size).isEqualTo(bound);
            }
          }
        }
      }
    }
  }

  @Test
  void largestValueForIsTheLargestThatFits() {
    for (DebeziumEnvelope env : List.of(BARE, WITH_SCHEMAS)) {
      for (long limit : new long[] {100_000, 1_048_588, 2_900_000, 45_000_000}) {
        int v = env.largestValueFor(limit, 512);
        assertThat(env.maxEncodedSize(512, v, v)).isLessThanOrEqualTo(limit);
        assertThat(env.maxEncodedSize(512, v + 1, v + 1)).isGreaterThan(limit);
      }
      assertThat(env.largestValueFor(100, 512)).isEqualTo(-1);
    }
  }

  @Test
  void headerNamesTheFormat() {
    assertThat(EnvelopeFormat.fromHeader("2".getBytes(StandardCharsets.UTF_8))).isEqualTo(EnvelopeFormat.DEBEZIUM);
    assertThat(EnvelopeFormat.fromHeader(null)).isNull();
    assertThatThrownBy(() -> EnvelopeFormat.fromHeader("3".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MalformedEventException.class).hasMessageContaining("unknown envelope format '3'");
  }

  @Test
  void aClusterNameMustMakeValidSchemaNames() {
    assertThatThrownBy(() -> new EnvelopeOptions("my-cluster", false)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new EnvelopeOptions("", false)).isInstanceOf(IllegalArgumentException.class);
  }

  private static final String SOURCE = "\"source\":{\"connector\":\"kvpipe\",\"ts_ms\":1,\"group\":\"g\",\"log_index\":1,"
      + "\"seq\":0,\"term\":1,\"epoch\":1,\"key_version\":5,\"origin\":\"client\"}";
  private static final String SOURCE_WITHOUT_SEQ = "\"source\":{\"connector\":\"kvpipe\",\"ts_ms\":1,"
      + "\"group\":\"g\",\"log_index\":1,\"term\":1,\"epoch\":1,\"key_version\":5,\"origin\":\"client\"}";
  private static final String AFTER = "\"after\":{\"kv_key\":\"k\",\"kv_value\":\"AA==\",\"version\":5,"
      + "\"group_id\":\"g\",\"log_index\":1}";

  @Test
  void acceptsAMinimalHandWrittenEventAndIgnoresUnknownFields() {
    String json = "{\"before\":null," + AFTER + "," + SOURCE + ",\"op\":\"c\",\"extra\":[1]}";
    assertThat(ChangeEventCodec.decode(json.getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(new ChangeEvent(Op.CREATE, "k", null, new byte[] {0}, 1, "g", 1, 1, 1, 5, Origin.CLIENT));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"before\":null," + AFTER + "," + SOURCE + "}",
      "{" + AFTER + "," + SOURCE + ",\"op\":\"c\"}",
      "{\"before\":null,\"after\":null," + SOURCE + ",\"op\":\"d\"}",
      "{\"before\":null," + AFTER + "," + SOURCE + ",\"op\":\"d\"}",
      "{\"before\":null," + AFTER + ",\"source\":{\"connector\":\"mysql\"},\"op\":\"c\"}",
      "{\"before\":null,\"after\":{\"kv_key\":\"k\",\"kv_value\":\"AA==\",\"version\":6,\"group_id\":\"g\","
          + "\"log_index\":1}," + SOURCE + ",\"op\":\"c\"}",
      "{\"before\":null,\"after\":{\"kv_key\":\"k\",\"kv_value\":null,\"version\":5,\"group_id\":\"g\","
          + "\"log_index\":1}," + SOURCE + ",\"op\":\"c\"}",
      "{\"before\":{\"kv_key\":\"other\",\"kv_value\":\"AA==\"}," + AFTER + "," + SOURCE + ",\"op\":\"u\"}",
      "{\"before\":{\"kv_key\":\"k\",\"kv_value\":null}," + AFTER + "," + SOURCE + ",\"op\":\"u\"}",
      "{\"before\":\"AA==\"," + AFTER + "," + SOURCE + ",\"op\":\"u\"}",
      "{\"before\":null," + AFTER + "," + SOURCE_WITHOUT_SEQ + ",\"op\":\"c\"}",
      "{\"before\":null," + AFTER + "," + SOURCE + ",\"op\":\"c\"} trailing",
      "{\"schema\":{},\"payload\":{\"before\":null," + AFTER + "," + SOURCE + "},\"op\":\"c\"}",
      "{\"schema\":{},\"payload\":\"x\"}"
  })
  void rejectsMalformedEventsWithAReason(String json) {
    assertThatThrownBy(() -> ChangeEventCodec.decode(json.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MalformedEventException.class)
        .satisfies(e -> assertThat(e.getMessage()).isNotBlank().doesNotContain("Exception"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "k", "{}", "{\"kv_key\":1}", "{\"payload\":{}}", "[\"k\"]"})
  void rejectsMalformedRecordKeys(String key) {
    assertThatThrownBy(() -> DebeziumEnvelope.decodeKey(key.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MalformedEventException.class);
  }

  @Test
  void keyMatchesSaysWhatDecodeKeySaysForEveryEncodedKey() {
    for (DebeziumEnvelope env : List.of(BARE, WITH_SCHEMAS)) {
      for (ChangeEvent e : EVENTS) {
        byte[] key = env.encode(e, 77L).key();
        assertThat(DebeziumEnvelope.keyMatches(key, e.key())).as("%s %s", env, e.key()).isTrue();
        assertThat(DebeziumEnvelope.keyMatches(key, e.key() + "x")).isFalse();
        assertThat(DebeziumEnvelope.keyMatches(key, e.key().substring(1))).isFalse();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"kv_key\":\"user:1\"}",            // the shortcut's own shape
      "{\"kv_key\": \"user:1\"}",           // same key, other spacing: parsed
      "{\"kv_key\":\"user\\u003a1\"}",     // an escape: parsed
      "{\"kv_key\":\"user:1\",\"x\":1}",    // more fields: parsed
      "{\"kv_key\":\"user:2\"}",
      "{\"kv_key\":\"user:11\"}",
      "{\"kv_key\":\"user:1\"]",
      "{\"kv_key\":\"user:1\"} x",
      "{\"kv_kez\":\"user:1\"}"})
  void keyMatchesAgreesWithDecodeKeyOnNearMisses(String recordKey) {
    byte[] bytes = recordKey.getBytes(StandardCharsets.UTF_8);
    String decoded;
    try {
      decoded = DebeziumEnvelope.decodeKey(bytes);
    } catch (MalformedEventException e) {
      assertThatThrownBy(() -> DebeziumEnvelope.keyMatches(bytes, "user:1")).isInstanceOf(MalformedEventException.class);
      return;
    }
    assertThat(DebeziumEnvelope.keyMatches(bytes, "user:1")).isEqualTo(decoded.equals("user:1"));
  }

  @Test
  void aMistypedFieldIsNamedByItsPath() {
    String json = "{\"before\":null,\"after\":{\"kv_key\":\"k\",\"kv_value\":\"AA==\",\"version\":\"5\"}," + SOURCE
        + ",\"op\":\"c\"}";
    assertThatThrownBy(() -> ChangeEventCodec.decode(json.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MalformedEventException.class).hasMessageContaining("'after.version'");
    String source = SOURCE.replace("\"term\":", "\"term\":\"x\",\"was_term\":");
    String bad = "{\"before\":null," + AFTER + "," + source + ",\"op\":\"c\"}";
    assertThatThrownBy(() -> ChangeEventCodec.decode(bad.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MalformedEventException.class).hasMessageContaining("'source.term'");
  }
}
