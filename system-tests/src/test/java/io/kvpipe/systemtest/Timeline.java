package io.kvpipe.systemtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvpipe.testsupport.robust.JsonLinesFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * What the nemesis and the cluster operations did and when, on the history's clock (nanoseconds since the run's
 * start), as JSON lines ({@code timeline.jsonl}) and in memory for the availability checker. Thread-safe.
 */
final class Timeline implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One fault or operation: {@code kind} (kill, pause, kafka, mysql, consumer, migration), what it hit, from
   * {@code start} until healed at {@code end} ({@code -1} while it lasts), and whether it ended as planned.
   */
  record Event(String kind, String target, long start, long end, boolean ok, String note) {}

  private final LongSupplier clock;
  private final JsonLinesFile out;
  private final List<Event> events = new ArrayList<>();

  Timeline(Path file, LongSupplier clock) {
    this.clock = clock;
    this.out = new JsonLinesFile(file);
  }

  long now() {
    return clock.getAsLong();
  }

  synchronized void add(Event e) {
    events.add(e);
    ObjectNode n = JSON.createObjectNode().put("kind", e.kind()).put("target", e.target())
        .put("start_ms", e.start() / 1_000_000).put("end_ms", e.end() / 1_000_000).put("ok", e.ok());
    if (e.note() != null) {
      n.put("note", e.note());
    }
    out.append(n, true);
    if (e.kind().equals("scan")) {
      return; // one a second or so: the timeline file has them, the progress printout would drown
    }
    System.out.printf("  (t=%.1fs) %s %s %s (%.1f s)%s%n", e.end() / 1e9, e.ok() ? "healed" : "FAILED", e.kind(),
        e.target(), (e.end() - e.start()) / 1e9, e.note() == null ? "" : ": " + e.note());
  }

  synchronized List<Event> events() {
    return List.copyOf(events);
  }

  @Override
  public synchronized void close() {
    out.close();
  }
}
