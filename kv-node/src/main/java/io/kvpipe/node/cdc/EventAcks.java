package io.kvpipe.node.cdc;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The acknowledgements of one event sent as several records (a delete and its tombstone): reports once, with the
 * first failure, or with null when every record is acknowledged. Producer I/O thread; thread-safe.
 */
final class EventAcks {
  private final AtomicInteger pending;
  private final AtomicBoolean reported = new AtomicBoolean();
  private final Consumer<Exception> done;

  EventAcks(int records, Consumer<Exception> done) {
    this.pending = new AtomicInteger(records);
    this.done = done;
  }

  void one(Exception error) {
    if (error != null) {
      if (reported.compareAndSet(false, true)) {
        done.accept(error);
      }
    } else if (pending.decrementAndGet() == 0 && reported.compareAndSet(false, true)) {
      done.accept(null);
    }
  }
}
