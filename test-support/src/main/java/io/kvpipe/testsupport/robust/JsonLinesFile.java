package io.kvpipe.testsupport.robust;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One JSON object per line, appended as a run records (the robustness workload's scans, TTL puts and transactions, the
 * system tests' fault timeline). Thread-safe.
 */
public final class JsonLinesFile implements AutoCloseable {
  private final BufferedWriter out;

  public JsonLinesFile(Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Appends {@code n} as one line; {@code flush}: also to disk now (so a run that dies still leaves it). */
  public synchronized void append(JsonNode n, boolean flush) {
    try {
      out.write(n.toString());
      out.write('\n');
      if (flush) {
        out.flush();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public synchronized void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
