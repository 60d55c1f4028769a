package io.kvpipe.consumer;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The SQL of an {@code INSERT ... VALUES (row), (row), ... <tail>} for a given row count, built once per count. One
 * multi-row statement per chunk is what makes the archive fast: MySQL parses and logs it once. Thread-safe.
 */
final class MultiRowInsert {
  private final String head;
  private final String row;
  private final String tail;
  private final ConcurrentMap<Integer, String> byRows = new ConcurrentHashMap<>();

  /** {@code head} ends with "VALUES", {@code row} is one parenthesised tuple of placeholders. */
  MultiRowInsert(String head, String row, String tail) {
    this.head = head;
    this.row = row;
    this.tail = tail;
  }

  String sql(int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("rows must be positive");
    }
    return byRows.computeIfAbsent(rows, n -> {
      StringBuilder b = new StringBuilder(head.length() + tail.length() + n * (row.length() + 1) + 2);
      b.append(head).append(' ');
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          b.append(',');
        }
        b.append(row);
      }
      return b.append(' ').append(tail).toString();
    });
  }
}
