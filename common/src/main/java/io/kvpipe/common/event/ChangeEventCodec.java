package io.kvpipe.common.event;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;

/**
 * The JSON wire form of a {@link ChangeEvent}, in Debezium's envelope shape:
 *
 * <pre>{"op":"u","key":"k","before":"b2xk","after":"bmV3","ts_ms":1700000000000,
 *  "source":{"group":"g1","log_index":42,"seq":0,"term":3,"epoch":1,"version":1099511627818,"origin":"client"}}</pre>
 *
 * Values are standard base64 (RFC 4648, padded) so any bytes survive; the key is the UTF-8 string. Decoding is strict:
 * a missing, mistyped or unknown-valued field is a {@link MalformedEventException}, never a half-filled event.
 * {@code source.seq} is always written; on decode it is optional (absent means 0, as in events written before it
 * existed). Streaming Jackson keeps this off the allocation-heavy tree model on the hot path. Thread-safe.
 */
public final class ChangeEventCodec {
  private static final JsonFactory JSON = new JsonFactory();
  private static final Base64.Encoder B64 = Base64.getEncoder();
  private static final Base64.Decoder B64D = Base64.getDecoder();

  /**
   * The longest envelope of an event with an empty key and null before/after: the largest numbers, the longest group id
   * (63) and origin. Measured once by encoding exactly that, so the bound follows the format if it changes.
   */
  private static final int ENVELOPE_BYTES = encode(new ChangeEvent(Op.DELETE, "", null, null, Long.MIN_VALUE,
      "g".repeat(63), Long.MIN_VALUE, Integer.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE,
      Origin.MIGRATION)).length;
  /** Jackson escapes a control character as backslash, u and four hex digits: one key byte never takes more than six. */
  private static final int MAX_ESCAPED_BYTES_PER_KEY_BYTE = 6;
  private static final int NULL_BYTES = 4;

  private ChangeEventCodec() {}

  /**
   * An upper bound of {@code encode(e).length} for any event with a key of {@code keyBytes} UTF-8 bytes and before/after
   * values of these lengths ({@code -1}: null). What the publisher must be able to send for such a change.
   */
  public static long maxEncodedSize(int keyBytes, int beforeBytes, int afterBytes) {
    return ENVELOPE_BYTES + (long) MAX_ESCAPED_BYTES_PER_KEY_BYTE * keyBytes + valueBytes(beforeBytes)
        + valueBytes(afterBytes) - 2L * NULL_BYTES;
  }

  /**
   * The largest value length {@code v} such that any event with a key of {@code maxKeyBytes} and before and after of
   * {@code v} bytes each encodes within {@code maxEventBytes}; -1 if not even empty values fit.
   */
  public static int largestValueFor(long maxEventBytes, int maxKeyBytes) {
    long perValue = (maxEventBytes - maxEncodedSize(maxKeyBytes, 0, 0)) / 2; // room for one value's base64 beyond ""
    if (perValue < 0) {
      return -1;
    }
    return (int) Math.min(Integer.MAX_VALUE, perValue / 4 * 3);
  }

  /** A JSON string of the value's base64 (quotes included), or {@code null}. */
  private static long valueBytes(int length) {
    return length < 0 ? NULL_BYTES : 2 + (length + 2L) / 3 * 4;
  }

  public static byte[] encode(ChangeEvent e) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128 + sizeOf(e.before()) + sizeOf(e.after()));
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("op", e.op().code());
      g.writeStringField("key", e.key());
      writeBytes(g, "before", e.before());
      writeBytes(g, "after", e.after());
      g.writeNumberField("ts_ms", e.tsMs());
      g.writeObjectFieldStart("source");
      g.writeStringField("group", e.group());
      g.writeNumberField("log_index", e.logIndex());
      g.writeNumberField("seq", e.seq());
      g.writeNumberField("term", e.term());
      g.writeNumberField("epoch", e.epoch());
      g.writeNumberField("version", e.version());
      g.writeStringField("origin", e.origin().code());
      g.writeEndObject();
      g.writeEndObject();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return out.toByteArray();
  }

  public static ChangeEvent decode(byte[] json) {
    if (json == null || json.length == 0) {
      throw new MalformedEventException("empty event");
    }
    try (JsonParser p = JSON.createParser(json)) {
      return new Reader(p).read();
    } catch (MalformedEventException e) {
      throw e;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new MalformedEventException("not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException | IllegalArgumentException e) {
      throw new MalformedEventException("not a valid event: " + e.getMessage(), e);
    }
  }

  private static int sizeOf(byte[] b) {
    return b == null ? 4 : b.length * 4 / 3 + 4;
  }

  private static void writeBytes(JsonGenerator g, String field, byte[] value) throws IOException {
    if (value == null) {
      g.writeNullField(field);
    } else {
      g.writeStringField(field, B64.encodeToString(value));
    }
  }

  /** One decode: collects fields, then checks that every required one was present exactly with the right type. */
  private static final class Reader {
    private final JsonParser p;
    private String op;
    private String key;
    private byte[] before;
    private byte[] after;
    private boolean sawBefore;
    private boolean sawAfter;
    private Long tsMs;
    private String group;
    private Long logIndex;
    private long seq;
    private Long term;
    private Long epoch;
    private Long version;
    private String origin;

    Reader(JsonParser p) {
      this.p = p;
    }

    ChangeEvent read() throws IOException {
      expect(p.nextToken(), JsonToken.START_OBJECT, "event");
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        switch (name) {
          case "op" -> op = text(t, name);
          case "key" -> key = text(t, name);
          case "before" -> { before = bytes(t, name); sawBefore = true; }
          case "after" -> { after = bytes(t, name); sawAfter = true; }
          case "ts_ms" -> tsMs = number(t, name);
          case "source" -> readSource(t);
          default -> p.skipChildren();
        }
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        throw new MalformedEventException("trailing content after the event object");
      }
      require(op, "op");
      require(key, "key");
      require(tsMs, "ts_ms");
      require(group, "source.group");
      require(logIndex, "source.log_index");
      require(term, "source.term");
      require(epoch, "source.epoch");
      require(version, "source.version");
      require(origin, "source.origin");
      if (!sawBefore || !sawAfter) {
        throw new MalformedEventException("missing field '" + (sawBefore ? "after" : "before") + "'");
      }
      if (key.isEmpty()) {
        throw new MalformedEventException("empty key");
      }
      if (logIndex < 0 || version <= 0 || epoch < 1) {
        throw new MalformedEventException("log_index, version and epoch must be positive");
      }
      if (seq < 0 || seq > Integer.MAX_VALUE) {
        throw new MalformedEventException("seq must be within 0.." + Integer.MAX_VALUE + ", got " + seq);
      }
      return new ChangeEvent(Op.fromCode(op), key, before, after, tsMs, group, logIndex, (int) seq, term, epoch,
          version, Origin.fromCode(origin));
    }

    private void readSource(JsonToken t) throws IOException {
      expect(t, JsonToken.START_OBJECT, "source");
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        switch (name) {
          case "group" -> group = text(v, name);
          case "log_index" -> logIndex = number(v, name);
          case "seq" -> seq = number(v, name);
          case "term" -> term = number(v, name);
          case "epoch" -> epoch = number(v, name);
          case "version" -> version = number(v, name);
          case "origin" -> origin = text(v, name);
          default -> p.skipChildren();
        }
      }
    }

    private String text(JsonToken t, String name) throws IOException {
      expect(t, JsonToken.VALUE_STRING, name);
      return p.getText();
    }

    private long number(JsonToken t, String name) throws IOException {
      expect(t, JsonToken.VALUE_NUMBER_INT, name);
      if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
        throw new MalformedEventException("field '" + name + "' does not fit in 64 bits");
      }
      return p.getLongValue();
    }

    private byte[] bytes(JsonToken t, String name) throws IOException {
      if (t == JsonToken.VALUE_NULL) {
        return null;
      }
      expect(t, JsonToken.VALUE_STRING, name);
      try {
        return B64D.decode(p.getText());
      } catch (IllegalArgumentException e) {
        throw new MalformedEventException("field '" + name + "' is not valid base64");
      }
    }

    private static void expect(JsonToken actual, JsonToken wanted, String name) {
      if (actual != wanted) {
        throw new MalformedEventException("field '" + name + "' must be " + describe(wanted) + ", found " + actual);
      }
    }

    private static String describe(JsonToken t) {
      return switch (t) {
        case START_OBJECT -> "an object";
        case VALUE_STRING -> "a string";
        case VALUE_NUMBER_INT -> "an integer";
        default -> t.toString();
      };
    }

    private static void require(Object v, String name) {
      if (v == null) {
        throw new MalformedEventException("missing field '" + name + "'");
      }
    }
  }
}
