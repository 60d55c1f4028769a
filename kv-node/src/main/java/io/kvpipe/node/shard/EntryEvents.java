package io.kvpipe.node.shard;

import io.kvpipe.common.event.ChangeEvent;
import java.util.ArrayList;
import java.util.List;

/** The change events one log entry has made so far, and their size against the outbox's byte bound. */
final class EntryEvents {
  private final List<ChangeEvent> list;
  private long bytes;

  EntryEvents(int expected) {
    list = new ArrayList<>(expected);
  }

  void add(ChangeEvent e, long eventBytes) {
    list.add(e);
    bytes += eventBytes;
  }

  int size() {
    return list.size();
  }

  long bytes() {
    return bytes;
  }

  List<ChangeEvent> list() {
    return list;
  }
}
