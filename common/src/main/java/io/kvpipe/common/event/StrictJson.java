package io.kvpipe.common.event;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Base64;

/**
 * The typed reads both envelope decoders share: each one either returns a value of exactly the expected JSON type or
 * throws a {@link MalformedEventException} naming the field. Stateless.
 */
final class StrictJson {
  static final JsonFactory JSON = new JsonFactory();
  private static final Base64.Decoder B64D = Base64.getDecoder();

  private StrictJson() {}

  static String text(JsonParser p, JsonToken t, String name) throws IOException {
    expect(t, JsonToken.VALUE_STRING, name);
    return p.getText();
  }

  /*
   * The overloads below name a field by its parent and its own name, joined only for an error message: the decoders
   * read every field of every event through them, and joining the path up front was a string concatenation per field
   * (about 7% of the consumer's decoding in a profile).
   */

  static String text(JsonParser p, JsonToken t, String parent, String name) throws IOException {
    expect(t, JsonToken.VALUE_STRING, parent, name);
    return p.getText();
  }

  static String textOrNull(JsonParser p, JsonToken t, String parent, String name) throws IOException {
    return t == JsonToken.VALUE_NULL ? null : text(p, t, parent, name);
  }

  static long number(JsonParser p, JsonToken t, String parent, String name) throws IOException {
    expect(t, JsonToken.VALUE_NUMBER_INT, parent, name);
    if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      throw new MalformedEventException("field '" + path(parent, name) + "' does not fit in 64 bits");
    }
    return p.getLongValue();
  }

  static Long numberOrNull(JsonParser p, JsonToken t, String parent, String name) throws IOException {
    return t == JsonToken.VALUE_NULL ? null : number(p, t, parent, name);
  }

  static byte[] bytes(JsonParser p, JsonToken t, String parent, String name) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return null;
    }
    expect(t, JsonToken.VALUE_STRING, parent, name);
    try {
      return B64D.decode(p.getText());
    } catch (IllegalArgumentException e) {
      throw new MalformedEventException("field '" + path(parent, name) + "' is not valid base64");
    }
  }

  static void expect(JsonToken actual, JsonToken wanted, String parent, String name) {
    if (actual != wanted) {
      expect(actual, wanted, path(parent, name));
    }
  }

  private static String path(String parent, String name) {
    return parent + "." + name;
  }

  /** A string, or null for JSON null. */
  static String textOrNull(JsonParser p, JsonToken t, String name) throws IOException {
    return t == JsonToken.VALUE_NULL ? null : text(p, t, name);
  }

  static long number(JsonParser p, JsonToken t, String name) throws IOException {
    expect(t, JsonToken.VALUE_NUMBER_INT, name);
    if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      throw new MalformedEventException("field '" + name + "' does not fit in 64 bits");
    }
    return p.getLongValue();
  }

  /** A number, or null for JSON null. */
  static Long numberOrNull(JsonParser p, JsonToken t, String name) throws IOException {
    return t == JsonToken.VALUE_NULL ? null : number(p, t, name);
  }

  /** Standard base64 (what Kafka Connect's JSON converter writes for bytes), or null for JSON null. */
  static byte[] bytes(JsonParser p, JsonToken t, String name) throws IOException {
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

  static void expect(JsonToken actual, JsonToken wanted, String name) {
    if (actual != wanted) {
      throw new MalformedEventException("field '" + name + "' must be " + describe(wanted) + ", found " + actual);
    }
  }

  static void require(Object v, String name) {
    if (v == null) {
      throw new MalformedEventException("missing field '" + name + "'");
    }
  }

  /** After the top-level object: nothing but whitespace may follow. */
  static void expectEnd(JsonParser p) throws IOException {
    if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
      throw new MalformedEventException("trailing content after the event object");
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
}
