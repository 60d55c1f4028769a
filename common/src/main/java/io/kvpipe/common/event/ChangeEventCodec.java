package io.kvpipe.common.event;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * Reading and writing change events on the change topic (docs/events.md). kvpipe writes format 2, Debezium's envelope
 * ({@link DebeziumEnvelope}, obtained with {@link #debezium}); it reads both format 2 and format 1
 * ({@link LegacyEnvelope}), so a topic written before the change stays readable. Decoding is strict: a missing,
 * mistyped or unknown-valued field is a {@link MalformedEventException}, never a half-filled event. Streaming Jackson
 * keeps this off the allocation-heavy tree model on the hot path. Thread-safe.
 */
public final class ChangeEventCodec {
  private ChangeEventCodec() {}

  /** The format-2 writer and size bounds for a cluster's options. */
  public static DebeziumEnvelope debezium(EnvelopeOptions options) {
    return DebeziumEnvelope.of(options);
  }

  /**
   * Decodes a record value of either format, telling them apart by shape (format 1 has a top-level {@code key}).
   * For readers without the record's headers.
   */
  public static ChangeEvent decode(byte[] json) {
    return decode(json, null);
  }

  /**
   * Decodes a record value of {@code format} (from the record's {@value EnvelopeFormat#HEADER} header), or of either
   * format, told apart by shape, if {@code format} is null (records written before the header existed).
   */
  public static ChangeEvent decode(byte[] json, EnvelopeFormat format) {
    if (json == null || json.length == 0) {
      throw new MalformedEventException("empty event");
    }
    EnvelopeFormat f = format != null ? format : formatOf(json);
    try (JsonParser p = StrictJson.JSON.createParser(json)) {
      return f == EnvelopeFormat.LEGACY ? LegacyEnvelope.decode(p) : DebeziumEnvelope.decode(p);
    } catch (MalformedEventException e) {
      throw e;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new MalformedEventException("not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException | IllegalArgumentException e) {
      throw new MalformedEventException("not a valid event: " + e.getMessage(), e);
    }
  }

  /**
   * Format 1 if the value's top-level object has a {@code key} field (format 2 never has one), else format 2. Input
   * that is not a JSON object counts as format 2, whose decoder then says what is wrong with it.
   */
  public static EnvelopeFormat formatOf(byte[] json) {
    try (JsonParser p = StrictJson.JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return EnvelopeFormat.DEBEZIUM;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        if (p.currentName().equals("key")) {
          return EnvelopeFormat.LEGACY;
        }
        p.nextToken();
        p.skipChildren();
      }
      return EnvelopeFormat.DEBEZIUM;
    } catch (IOException e) {
      return EnvelopeFormat.DEBEZIUM;
    }
  }

  /** The checks both formats share, then the event. */
  static ChangeEvent checked(String op, String key, byte[] before, byte[] after, long tsMs, String group,
                             long logIndex, long seq, long term, long epoch, long version, String origin,
                             boolean txn) {
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
        version, Origin.fromCode(origin), txn);
  }

  /** A rough size of a value's base64, for sizing buffers. */
  static int base64Length(byte[] b) {
    return b == null ? 4 : b.length * 4 / 3 + 4;
  }
}
