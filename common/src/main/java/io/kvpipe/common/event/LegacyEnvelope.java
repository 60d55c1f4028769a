package io.kvpipe.common.event;

import static io.kvpipe.common.event.StrictJson.bytes;
import static io.kvpipe.common.event.StrictJson.expect;
import static io.kvpipe.common.event.StrictJson.number;
import static io.kvpipe.common.event.StrictJson.text;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;

/**
 * Envelope format 1, written by kvpipe before format 2 (docs/events.md, "format 1"): read, no longer written by the
 * publisher. Record key = the KV key's UTF-8 bytes; value:
 *
 * <pre>{"op":"u","key":"k","before":"b2xk","after":"bmV3","ts_ms":1700000000000,
 *  "source":{"group":"g1","log_index":42,"seq":0,"term":3,"epoch":1,"version":1099511627818,"origin":"client"}}</pre>
 *
 * Values are standard base64; {@code source.seq} is optional on decode (absent means 0: events written before it
 * existed). {@link #encode} stays for tests and tools that need old-format records. Thread-safe.
 */
public final class LegacyEnvelope {
  private static final Base64.Encoder B64 = Base64.getEncoder();

  private LegacyEnvelope() {}

  public static byte[] encode(ChangeEvent e) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128 + ChangeEventCodec.base64Length(e.before())
        + ChangeEventCodec.base64Length(e.after()));
    try (JsonGenerator g = StrictJson.JSON.createGenerator(out)) {
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

  private static void writeBytes(JsonGenerator g, String field, byte[] value) throws IOException {
    if (value == null) {
      g.writeNullField(field);
    } else {
      g.writeStringField(field, B64.encodeToString(value));
    }
  }

  static ChangeEvent decode(JsonParser p) throws IOException {
    return new Reader(p).read();
  }

  /** One decode: collects fields, then checks that every required one was present exactly with the right type. */
  private static final class Reader {
    private final JsonParser p;
    private final EventFields f = new EventFields();

    Reader(JsonParser p) {
      this.p = p;
    }

    ChangeEvent read() throws IOException {
      expect(p.nextToken(), JsonToken.START_OBJECT, "event");
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        switch (name) {
          case "op" -> f.op = text(p, t, name);
          case "key" -> f.key = text(p, t, name);
          case "before" -> { f.before = bytes(p, t, name); f.sawBefore = true; }
          case "after" -> { f.after = bytes(p, t, name); f.sawAfter = true; }
          case "ts_ms" -> f.tsMs = number(p, t, name);
          case "source" -> readSource(t);
          default -> p.skipChildren();
        }
      }
      StrictJson.expectEnd(p);
      return f.build("key", "ts_ms", "source.version", false);
    }

    private void readSource(JsonToken t) throws IOException {
      expect(t, JsonToken.START_OBJECT, "source");
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        if (!f.sourceField(p, name, v, "version")) {
          p.skipChildren();
        }
      }
    }
  }
}
