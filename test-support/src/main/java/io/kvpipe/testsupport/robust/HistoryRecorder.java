package io.kvpipe.testsupport.robust;

import io.kvpipe.testsupport.check.HistoryFile;
import io.kvpipe.testsupport.check.Op;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps every completed operation of a run, in memory for the checkers and as JSON lines in a file (written as the
 * run goes, so a run that dies still leaves its history). Times are nanoseconds since {@link #start}, on this JVM's
 * monotonic clock. Thread-safe.
 */
public final class HistoryRecorder implements AutoCloseable {
  private final long start = System.nanoTime();
  private final BufferedWriter out;
  private final Path file;
  private final List<Op> ops = new ArrayList<>();
  private final Map<Op.Outcome, Long> outcomes = new EnumMap<>(Op.Outcome.class);
  private long lastOkWrite = -1;
  private long nextId;

  public HistoryRecorder(Path file) {
    this.file = file;
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Nanoseconds since the run's start: the clock of every recorded time (and of the nemesis timeline). */
  public long now() {
    return System.nanoTime() - start;
  }

  public synchronized long nextId() {
    return nextId++;
  }

  public synchronized void record(Op op) {
    ops.add(op);
    outcomes.merge(op.outcome(), 1L, Long::sum);
    if (op.write() && op.outcome() == Op.Outcome.OK) {
      lastOkWrite = Math.max(lastOkWrite, op.ret());
    }
    try {
      HistoryFile.append(out, op);
      if (ops.size() % 64 == 0) {
        out.flush();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  public synchronized List<Op> ops() {
    return List.copyOf(ops);
  }

  public synchronized int size() {
    return ops.size();
  }

  public synchronized long count(Op.Outcome outcome) {
    return outcomes.getOrDefault(outcome, 0L);
  }

  /** When the newest acknowledged write returned (run clock), or -1. */
  public synchronized long lastOkWrite() {
    return lastOkWrite;
  }

  public Path file() {
    return file;
  }

  @Override
  public synchronized void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
