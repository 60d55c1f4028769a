package io.kvpipe.kvctl;

import java.util.List;
import java.util.function.Consumer;

/** Reads every record (tombstones included) a shard group holds. */
interface StoreScanner extends AutoCloseable {
  /** Calls {@code sink} for each record of {@code group} (replicas {@code peers}, {@code id@host:port}). */
  void scan(String group, List<String> peers, Consumer<KeyState> sink);

  /** Where the records come from, for the report. */
  String description();

  @Override
  default void close() {}
}
