package io.kvpipe.node.cdc;

import io.kvpipe.common.Versions;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * A stand-in for the replicated outbox (the shard state machine is another module's job): committed events by log
 * index, trimmed by confirms. It also records every confirm, so tests can check they only ever name acked indexes.
 */
final class InMemoryOutbox implements OutboxSource, PublishConfirmer {
  private final String group;
  private final TreeMap<Long, List<ChangeEvent>> pending = new TreeMap<>();
  private final List<Long> confirms = new ArrayList<>();
  private final Map<String, Long> lastIndexOfKey = new TreeMap<>();
  private long confirmed;
  private long lastIndex;

  InMemoryOutbox(String group) {
    this.group = group;
  }

  /** Commits a put of {@code key} at the next log index (create or update, chained to the previous value). */
  synchronized ChangeEvent put(String key, String value) {
    long index = ++lastIndex;
    Long previous = lastIndexOfKey.put(key, index);
    byte[] after = value.getBytes(StandardCharsets.UTF_8);
    ChangeEvent e = new ChangeEvent(previous == null ? Op.CREATE : Op.UPDATE, key,
        previous == null ? null : ("v@" + previous).getBytes(StandardCharsets.UTF_8), after,
        System.currentTimeMillis(), group, index, 1, 1, Versions.of(1, index), Origin.CLIENT);
    pending.computeIfAbsent(index, i -> new ArrayList<>()).add(e);
    return e;
  }

  /** Commits a delete of {@code key} at the next log index. */
  synchronized ChangeEvent delete(String key) {
    long index = ++lastIndex;
    Long previous = lastIndexOfKey.remove(key);
    ChangeEvent e = new ChangeEvent(Op.DELETE, key,
        previous == null ? null : ("v@" + previous).getBytes(StandardCharsets.UTF_8), null,
        System.currentTimeMillis(), group, index, 1, 1, Versions.of(1, index), Origin.CLIENT);
    pending.computeIfAbsent(index, i -> new ArrayList<>()).add(e);
    return e;
  }

  /** Commits several events under one log index (as a snapshot or batch entry might). */
  synchronized List<ChangeEvent> putAll(List<String> keys) {
    long index = ++lastIndex;
    List<ChangeEvent> events = new ArrayList<>();
    for (String key : keys) {
      events.add(new ChangeEvent(Op.READ, key, null, new byte[] {1}, System.currentTimeMillis(), group, index, events.size(), 1, 1,
          Versions.of(1, index), Origin.SNAPSHOT));
    }
    pending.put(index, events);
    return events;
  }

  @Override
  public synchronized List<ChangeEvent> pendingAfter(long afterIndex, int max) {
    List<ChangeEvent> out = new ArrayList<>();
    for (List<ChangeEvent> events : pending.tailMap(afterIndex, false).values()) {
      if (out.size() >= max) {
        break;
      }
      out.addAll(events);
    }
    return out;
  }

  @Override
  public synchronized long confirmedIndex() {
    return confirmed;
  }

  @Override
  public synchronized long depth() {
    return pending.values().stream().mapToLong(List::size).sum();
  }

  @Override
  public synchronized CompletableFuture<?> confirm(long upToIndex) {
    confirms.add(upToIndex);
    if (upToIndex > confirmed) {
      confirmed = upToIndex;
      pending.headMap(upToIndex, true).clear();
    }
    return CompletableFuture.completedFuture(null);
  }

  synchronized List<Long> confirms() {
    return List.copyOf(confirms);
  }

  synchronized long lastIndex() {
    return lastIndex;
  }
}
