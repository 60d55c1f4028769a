package io.kvpipe.common.watch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;

/**
 * A change as {@code GET /v1/watch} reports it ({@code event: change}): the key, {@code create}/{@code update}/
 * {@code delete}, the value after it (null for a delete) and the version the write got; {@code position} is the SSE id
 * to resume after it.
 */
public record WatchEvent(String key, String op, byte[] value, long version, String position) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static WatchEvent parse(SseReader.Event e) {
    try {
      JsonNode n = JSON.readTree(e.data());
      JsonNode v = n.path("value");
      return new WatchEvent(n.path("key").asText(), n.path("op").asText(),
          v.isNull() || v.isMissingNode() ? null : Base64.getDecoder().decode(v.asText()), n.path("version").asLong(),
          e.id());
    } catch (IOException ex) {
      throw new UncheckedIOException("not a watch change event: " + e.data(), ex);
    }
  }
}
