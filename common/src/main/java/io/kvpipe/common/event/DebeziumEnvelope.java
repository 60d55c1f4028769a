package io.kvpipe.common.event;

import static io.kvpipe.common.event.StrictJson.bytes;
import static io.kvpipe.common.event.StrictJson.expect;
import static io.kvpipe.common.event.StrictJson.number;
import static io.kvpipe.common.event.StrictJson.numberOrNull;
import static io.kvpipe.common.event.StrictJson.require;
import static io.kvpipe.common.event.StrictJson.text;
import static io.kvpipe.common.event.StrictJson.textOrNull;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.kvpipe.common.KvpipeVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Envelope format 2: Debezium's change event envelope for a table {@code kv} (docs/events.md), so Kafka Connect sinks
 * and Debezium's transforms read kvpipe's topic unchanged. Record key {@code {"kv_key":"k"}}; value
 *
 * <pre>{"before":{"kv_key":"k","kv_value":"b2xk","version":null,"group_id":null,"log_index":null},
 *  "after":{"kv_key":"k","kv_value":"bmV3","version":1099511627818,"group_id":"g1","log_index":42},
 *  "source":{"version":"0.1.0","connector":"kvpipe","name":"kvpipe","ts_ms":1700000000000,"snapshot":"false",
 *            "db":"kvpipe","table":"kv","group":"g1","log_index":42,"seq":0,"term":3,"epoch":1,
 *            "key_version":1099511627818,"origin":"client"},
 *  "transaction":{"id":"g1:42","total_order":1,"data_collection_order":1},"op":"u","ts_ms":1700000000005}</pre>
 *
 * each wrapped as {@code {"schema":…,"payload":…}} when the cluster writes Connect schemas. Bytes are standard base64
 * (Connect's JsonConverter form of a {@code bytes} field). A delete always has a {@code before} row, whose
 * {@code kv_value} is null when the key had no live value, so the key is in every value. One instance per
 * {@link EnvelopeOptions} ({@link #of}); thread-safe.
 */
public final class DebeziumEnvelope {
  public static final String CONNECTOR = "kvpipe";
  public static final String TABLE = "kv";
  /** Jackson escapes a control character as backslash, u and four hex digits: one key byte never takes more than six. */
  private static final int MAX_ESCAPED_BYTES_PER_KEY_BYTE = 6;
  private static final Base64.Encoder B64 = Base64.getEncoder();
  private static final ConcurrentHashMap<EnvelopeOptions, DebeziumEnvelope> BY_OPTIONS = new ConcurrentHashMap<>();

  private final EnvelopeOptions options;
  private final String version = KvpipeVersion.get();
  private final String keySchema;
  private final String valueSchema;
  /**
   * Key and value bytes of the longest events with an empty key and empty (or null) values, by shape: index
   * {@code (before present ? 2 : 0) + (after present ? 1 : 0)}. Measured by encoding exactly those, so the bounds
   * follow the format whenever it changes.
   */
  private final long[] emptyKeyBytes = new long[4];

  private DebeziumEnvelope(EnvelopeOptions options) {
    this.options = options;
    this.keySchema = options.schemas() ? ConnectSchemas.key(options.cluster()) : null;
    this.valueSchema = options.schemas() ? ConnectSchemas.envelope(options.cluster()) : null;
    for (int shape = 0; shape < 4; shape++) {
      boolean before = (shape & 2) != 0;
      boolean after = (shape & 1) != 0;
      ChangeEvent worst = new ChangeEvent(after ? (before ? Op.UPDATE : Op.CREATE) : Op.DELETE, "",
          before ? new byte[0] : null, after ? new byte[0] : null, Long.MIN_VALUE, "g".repeat(63), Long.MIN_VALUE,
          Integer.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, Origin.MIGRATION, true);
      EncodedEvent e = encode(worst, Long.MIN_VALUE);
      emptyKeyBytes[shape] = e.key().length + e.value().length;
    }
  }

  public static DebeziumEnvelope of(EnvelopeOptions options) {
    return BY_OPTIONS.computeIfAbsent(Objects.requireNonNull(options, "options"), DebeziumEnvelope::new);
  }

  public EnvelopeOptions options() {
    return options;
  }

  /**
   * The record's key and value.
   *
   * @param publishTsMs when the leader hands the event to Kafka: the envelope's {@code ts_ms}, as in Debezium (the
   *     commit time is {@code source.ts_ms}); a republished event differs from its first copy only here
   */
  public EncodedEvent encode(ChangeEvent e, long publishTsMs) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(
        (valueSchema == null ? 512 : 512 + valueSchema.length()) + ChangeEventCodec.base64Length(e.before())
            + ChangeEventCodec.base64Length(e.after()));
    try (JsonGenerator g = StrictJson.JSON.createGenerator(out)) {
      g.writeStartObject();
      if (valueSchema != null) {
        g.writeFieldName("schema");
        g.writeRawValue(valueSchema);
        g.writeFieldName("payload");
        g.writeStartObject();
      }
      writePayload(g, e, publishTsMs);
      if (valueSchema != null) {
        g.writeEndObject();
      }
      g.writeEndObject();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return new EncodedEvent(encodeKey(e.key()), out.toByteArray());
  }

  /** The record key: a struct with the KV key, so a sink maps it to the table's primary key. */
  public byte[] encodeKey(String key) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(32 + key.length() + (keySchema == null ? 0
        : keySchema.length()));
    try (JsonGenerator g = StrictJson.JSON.createGenerator(out)) {
      g.writeStartObject();
      if (keySchema != null) {
        g.writeFieldName("schema");
        g.writeRawValue(keySchema);
        g.writeObjectFieldStart("payload");
      }
      g.writeStringField("kv_key", key);
      if (keySchema != null) {
        g.writeEndObject();
      }
      g.writeEndObject();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return out.toByteArray();
  }

  private void writePayload(JsonGenerator g, ChangeEvent e, long publishTsMs) throws IOException {
    g.writeFieldName("before");
    if (e.before() != null || e.op() == Op.DELETE) {
      // A delete always names its key here, even when the key had no live value (kv_value null).
      writeRow(g, e.key(), e.before(), null);
    } else {
      g.writeNull();
    }
    g.writeFieldName("after");
    if (e.after() != null) {
      writeRow(g, e.key(), e.after(), e);
    } else {
      g.writeNull();
    }
    g.writeObjectFieldStart("source");
    g.writeStringField("version", version);
    g.writeStringField("connector", CONNECTOR);
    g.writeStringField("name", options.cluster());
    g.writeNumberField("ts_ms", e.tsMs());
    g.writeStringField("snapshot", e.op() == Op.READ ? "true" : "false");
    g.writeStringField("db", options.cluster());
    g.writeStringField("table", TABLE);
    g.writeStringField("group", e.group());
    g.writeNumberField("log_index", e.logIndex());
    g.writeNumberField("seq", e.seq());
    g.writeNumberField("term", e.term());
    g.writeNumberField("epoch", e.epoch());
    g.writeNumberField("key_version", e.version());
    g.writeStringField("origin", e.origin().code());
    if (e.txn()) {
      // Only in a transaction's events, so every other event stays byte for byte what it was.
      g.writeStringField("txn_id", e.txnId());
    }
    g.writeEndObject();
    g.writeObjectFieldStart("transaction");
    g.writeStringField("id", e.group() + ":" + e.logIndex());
    g.writeNumberField("total_order", e.seq() + 1L);
    g.writeNumberField("data_collection_order", e.seq() + 1L);
    g.writeEndObject();
    g.writeStringField("op", e.op().code());
    g.writeNumberField("ts_ms", publishTsMs);
  }

  /** A row; {@code written} (the event that made this state) fills version, group and log index of an after image. */
  private static void writeRow(JsonGenerator g, String key, byte[] value, ChangeEvent written) throws IOException {
    g.writeStartObject();
    g.writeStringField("kv_key", key);
    g.writeFieldName("kv_value");
    if (value == null) {
      g.writeNull();
    } else {
      g.writeString(B64.encodeToString(value));
    }
    g.writeFieldName("version");
    if (written == null) {
      g.writeNull();
      g.writeNullField("group_id");
      g.writeNullField("log_index");
    } else {
      g.writeNumber(written.version());
      g.writeStringField("group_id", written.group());
      g.writeNumberField("log_index", written.logIndex());
    }
    g.writeEndObject();
  }

  /**
   * An upper bound of the record's key plus value bytes for any event with a key of {@code keyBytes} UTF-8 bytes and
   * before/after values of these lengths ({@code -1}: null), exact for the worst case (a key of control characters,
   * the longest numbers and group). What the publisher must be able to send for such a change.
   */
  public long maxEncodedSize(int keyBytes, int beforeBytes, int afterBytes) {
    boolean before = beforeBytes >= 0;
    boolean after = afterBytes >= 0;
    // The key is in the record key, in the after row, and in the before row (which every delete has).
    int keyCopies = 1 + (after ? 1 : 0) + (before || !after ? 1 : 0);
    return emptyKeyBytes[(before ? 2 : 0) + (after ? 1 : 0)]
        + (long) MAX_ESCAPED_BYTES_PER_KEY_BYTE * keyBytes * keyCopies
        + base64Beyond(beforeBytes) + base64Beyond(afterBytes);
  }

  /**
   * The largest value length {@code v} such that any event with a key of {@code maxKeyBytes} and before and after of
   * {@code v} bytes each encodes within {@code maxEventBytes}; -1 if not even empty values fit.
   */
  public int largestValueFor(long maxEventBytes, int maxKeyBytes) {
    long perValue = (maxEventBytes - maxEncodedSize(maxKeyBytes, 0, 0)) / 2; // room for one value's base64 beyond ""
    if (perValue < 0) {
      return -1;
    }
    return (int) Math.min(Integer.MAX_VALUE, perValue / 4 * 3);
  }

  /** Base64 characters of a value of {@code length} bytes (its quotes are in the measured envelope); 0 for null. */
  private static long base64Beyond(int length) {
    return length <= 0 ? 0 : (length + 2L) / 3 * 4;
  }

  private static final byte[] BARE_KEY_HEAD = "{\"kv_key\":\"".getBytes(StandardCharsets.US_ASCII);

  /**
   * Whether a format-2 record key names {@code key}: what {@code key.equals(decodeKey(recordKey))} says, and throws
   * what it throws. The record key kvpipe writes without schemas ({@code {"kv_key":"..."}}, a key of printable ASCII
   * without quote or backslash) is recognised byte for byte, without a JSON parser: the consumer asks this for every
   * record, and the parse was about 7% of its decoding.
   */
  public static boolean keyMatches(byte[] recordKey, String key) {
    if (isBareKey(recordKey, key)) {
      return true;
    }
    return key.equals(decodeKey(recordKey));
  }

  private static boolean isBareKey(byte[] recordKey, String key) {
    int head = BARE_KEY_HEAD.length;
    if (recordKey == null || recordKey.length != head + key.length() + 2
        || !Arrays.equals(recordKey, 0, head, BARE_KEY_HEAD, 0, head)) {
      return false;
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\' || recordKey[head + i] != c) {
        return false;
      }
    }
    return recordKey[recordKey.length - 2] == '"' && recordKey[recordKey.length - 1] == '}';
  }

  /** The KV key of a format-2 record key (with or without its Connect schema). */
  public static String decodeKey(byte[] recordKey) {
    if (recordKey == null || recordKey.length == 0) {
      throw new MalformedEventException("record has no key");
    }
    try (JsonParser p = StrictJson.JSON.createParser(recordKey)) {
      expect(p.nextToken(), JsonToken.START_OBJECT, "record key");
      String key = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        switch (name) {
          case "payload" -> {
            expect(t, JsonToken.START_OBJECT, "payload");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String inner = p.currentName();
              JsonToken v = p.nextToken();
              if (inner.equals("kv_key")) {
                key = text(p, v, "kv_key");
              } else {
                p.skipChildren();
              }
            }
          }
          case "kv_key" -> key = text(p, t, name);
          default -> p.skipChildren();
        }
      }
      StrictJson.expectEnd(p);
      require(key, "kv_key");
      return key;
    } catch (MalformedEventException e) {
      throw e;
    } catch (IOException | IllegalArgumentException e) {
      throw new MalformedEventException("record key is not valid JSON: " + e.getMessage(), e);
    }
  }

  static ChangeEvent decode(JsonParser p) throws IOException {
    return new Reader(p).read();
  }

  /** A row as read: a before image may lack everything but the key. */
  private record Row(String key, byte[] value, Long version, String groupId, Long logIndex) {}

  /** One decode of a value, bare or inside {@code payload}; strict like {@link LegacyEnvelope}. */
  private static final class Reader {
    private final JsonParser p;
    private boolean sawPayload;
    private boolean sawEnvelopeField;
    private final EventFields f = new EventFields();
    private Row before;
    private Row after;
    private String connector;

    Reader(JsonParser p) {
      this.p = p;
    }

    ChangeEvent read() throws IOException {
      expect(p.nextToken(), JsonToken.START_OBJECT, "event");
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        switch (name) {
          case "schema" -> p.skipChildren();
          case "payload" -> {
            expect(t, JsonToken.START_OBJECT, "payload");
            sawPayload = true;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String inner = p.currentName();
              envelopeField(inner, p.nextToken());
            }
          }
          default -> {
            sawEnvelopeField |= isEnvelopeField(name);
            envelopeField(name, t);
          }
        }
      }
      StrictJson.expectEnd(p);
      if (sawPayload && sawEnvelopeField) {
        throw new MalformedEventException("envelope fields both inside and beside 'payload'");
      }
      return build();
    }

    private static boolean isEnvelopeField(String name) {
      return switch (name) {
        case "op", "before", "after", "source" -> true;
        default -> false;
      };
    }

    private void envelopeField(String name, JsonToken t) throws IOException {
      switch (name) {
        case "op" -> f.op = text(p, t, name);
        case "before" -> { before = row(t, name); f.sawBefore = true; }
        case "after" -> { after = row(t, name); f.sawAfter = true; }
        case "source" -> readSource(t);
        default -> p.skipChildren(); // ts_ms (publish time), transaction, and fields of later versions
      }
    }

    private Row row(JsonToken t, String field) throws IOException {
      if (t == JsonToken.VALUE_NULL) {
        return null;
      }
      expect(t, JsonToken.START_OBJECT, field);
      String key = null;
      byte[] value = null;
      Long rowVersion = null;
      String groupId = null;
      Long rowIndex = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        switch (name) {
          case "kv_key" -> key = text(p, v, field, name);
          case "kv_value" -> value = bytes(p, v, field, name);
          case "version" -> rowVersion = numberOrNull(p, v, field, name);
          case "group_id" -> groupId = textOrNull(p, v, field, name);
          case "log_index" -> rowIndex = numberOrNull(p, v, field, name);
          default -> p.skipChildren();
        }
      }
      require(key, field + ".kv_key");
      return new Row(key, value, rowVersion, groupId, rowIndex);
    }

    private void readSource(JsonToken t) throws IOException {
      expect(t, JsonToken.START_OBJECT, "source");
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        switch (name) {
          case "connector" -> connector = text(p, v, "source.connector");
          case "ts_ms" -> f.tsMs = number(p, v, "source.ts_ms");
          default -> {
            if (!f.sourceField(p, name, v, "key_version")) {
              p.skipChildren(); // version, name, snapshot, db, table: descriptive
            }
          }
        }
      }
    }

    private ChangeEvent build() {
      require(connector, "source.connector");
      if (!connector.equals(CONNECTOR)) {
        throw new MalformedEventException("not a kvpipe event: source.connector is '" + connector + "'");
      }
      if (f.sawBefore && f.sawAfter && after == null && before == null) {
        throw new MalformedEventException("neither 'before' nor 'after' names the key");
      }
      if (after != null && before != null && !after.key().equals(before.key())) {
        throw new MalformedEventException("'before' and 'after' rows have different keys");
      }
      if (after != null) {
        require(after.value(), "after.kv_value");
      }
      if (before != null && before.value() == null && !Op.DELETE.code().equals(f.op)) {
        throw new MalformedEventException("a 'before' row without kv_value belongs to a delete only");
      }
      f.key = after != null ? after.key() : before != null ? before.key() : null;
      f.before = before == null ? null : before.value();
      f.after = after == null ? null : after.value();
      ChangeEvent e = f.build("after.kv_key", "source.ts_ms", "source.key_version", true);
      if (after != null && !(Objects.equals(after.version(), e.version()) && e.group().equals(after.groupId())
          && Objects.equals(after.logIndex(), e.logIndex()))) {
        throw new MalformedEventException("the 'after' row's version, group_id and log_index must repeat"
            + " source.key_version, source.group and source.log_index");
      }
      return e;
    }
  }

  @Override
  public String toString() {
    return "DebeziumEnvelope[" + options + ", source.version " + version + "]";
  }
}
