package io.kvpipe.testsupport.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A history as JSON lines, one operation a line, so a run's history can be checked again (or by another tool) after
 * the run: {@code {"id","c","k","op":"get|put|delete","if","v","out":"ok|mismatch|failed|unknown","found","ver",
 * "flag","call","ret","note"}} with times in nanoseconds from the run's start.
 */
public final class HistoryFile {
  private static final ObjectMapper JSON = new ObjectMapper();

  private HistoryFile() {}

  public static String line(Op op) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", op.id()).put("c", op.client()).put("k", op.key()).put("op", op.kind().name().toLowerCase());
    if (op.write()) {
      n.put("if", op.expected());
    }
    if (op.value() != null) {
      n.put("v", op.value());
    }
    n.put("out", op.outcome().name().toLowerCase());
    if (op.kind() == Op.Kind.GET && op.outcome() == Op.Outcome.OK) {
      n.put("found", op.found());
    }
    if (op.version() != 0) {
      n.put("ver", op.version());
    }
    if (op.flag() != null) {
      n.put("flag", op.flag());
    }
    n.put("call", op.call()).put("ret", op.ret());
    if (op.note() != null) {
      n.put("note", op.note());
    }
    return n.toString();
  }

  public static void append(Writer out, Op op) throws IOException {
    out.write(line(op));
    out.write('\n');
  }

  public static Op parse(String line) {
    try {
      JsonNode n = JSON.readTree(line);
      JsonNode flag = n.get("flag");
      return new Op(n.path("id").asLong(), n.path("c").asInt(), text(n, "k"),
          Op.Kind.valueOf(text(n, "op").toUpperCase()), n.path("if").asLong(Op.ANY),
          n.hasNonNull("v") ? n.get("v").asText() : null, Op.Outcome.valueOf(text(n, "out").toUpperCase()),
          n.path("found").asBoolean(false), n.path("ver").asLong(0), flag == null ? null : flag.asBoolean(),
          n.path("call").asLong(), n.path("ret").asLong(), n.hasNonNull("note") ? n.get("note").asText() : null);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not a history line (" + e.getMessage() + "): " + line, e);
    }
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("missing '" + field + "'");
    }
    return v.asText();
  }

  public static List<Op> read(Path file) {
    List<Op> ops = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        try {
          ops.add(parse(line));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(file + ":" + n + ": " + e.getMessage(), e);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return ops;
  }
}
