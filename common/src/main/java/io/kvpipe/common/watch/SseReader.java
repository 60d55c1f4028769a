package io.kvpipe.common.watch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads Server-Sent Events (as the proxy's {@code /v1/watch} and {@code /api/topology/subscribe} write them) from a
 * response body: {@code id:}, {@code event:} and {@code data:} fields up to a blank line, comments skipped. The client
 * side of the watch stream, shared by kvctl, tests and benchmarks. Not thread-safe.
 */
public final class SseReader {
  /** One event; {@code id} is null when the event carried none. */
  public record Event(String id, String event, String data) {}

  private final InputStream in;

  public SseReader(InputStream in) {
    this.in = in;
  }

  /** The next event, or null at the end of the stream. */
  public Event next() throws IOException {
    String id = null;
    String event = "message";
    StringBuilder data = null;
    while (true) {
      String line = readLine();
      if (line == null) {
        return null;
      }
      if (line.isEmpty()) {
        if (data != null) {
          return new Event(id, event, data.toString());
        }
        continue;
      }
      if (line.startsWith(":")) {
        continue;
      }
      int colon = line.indexOf(':');
      String field = colon < 0 ? line : line.substring(0, colon);
      String value = colon < 0 ? "" : line.substring(colon + 1);
      if (value.startsWith(" ")) {
        value = value.substring(1);
      }
      switch (field) {
        case "id" -> id = value;
        case "event" -> event = value;
        case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
        default -> { } // unknown fields are ignored, as the SSE specification says
      }
    }
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        break;
      }
      line.write(c);
    }
    if (c < 0 && line.size() == 0) {
      return null;
    }
    String s = line.toString(StandardCharsets.UTF_8);
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }
}
