package io.kvpipe.kvctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Small helpers for reading the proxy's JSON. */
final class Json {
  private Json() {}

  /** A JSON array of scalars as {@code a, b, c}; {@code -} when empty or absent. */
  static String joined(JsonNode array) {
    List<String> parts = new ArrayList<>();
    array.forEach(n -> parts.add(n.isValueNode() ? n.asText() : n.toString()));
    return parts.isEmpty() ? "-" : String.join(", ", parts);
  }

  static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
