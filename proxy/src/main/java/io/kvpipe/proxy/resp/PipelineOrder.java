package io.kvpipe.proxy.resp;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The order pipelined commands of one connection are issued in. Commands on different keys run concurrently (so a
 * pipeline fills the groups' write batches), but a command starts only after every earlier command of the connection
 * on one of its keys has completed, so a pipeline sees its own writes in order ({@code SET k 1; INCR k; GET k}). A
 * barrier (SCAN) waits for everything before it, and everything after it waits for it. Used by the connection's reader
 * thread only.
 */
final class PipelineOrder {
  /** Past this many remembered keys, completed ones are forgotten. */
  private static final int PRUNE_AT = 4096;

  private final Map<ByteBuffer, CompletableFuture<?>> lastByKey = new HashMap<>();
  private final List<CompletableFuture<?>> inFlight = new ArrayList<>();
  private CompletableFuture<?> barrier;

  /** What a command on {@code keys} (null: a barrier) must wait for; null when nothing. */
  CompletableFuture<?> dependencies(List<byte[]> keys) {
    prune();
    List<CompletableFuture<?>> deps = new ArrayList<>();
    if (keys == null) {
      deps.addAll(inFlight);
    } else {
      if (barrier != null && !barrier.isDone()) {
        deps.add(barrier);
      }
      for (byte[] k : keys) {
        CompletableFuture<?> last = lastByKey.get(ByteBuffer.wrap(k));
        if (last != null && !last.isDone()) {
          deps.add(last);
        }
      }
    }
    if (deps.isEmpty()) {
      return null;
    }
    return deps.size() == 1 ? deps.get(0) : CompletableFuture.allOf(deps.toArray(CompletableFuture[]::new));
  }

  /** Records an issued command; {@code done} completes (normally or not) when it has. */
  void issued(List<byte[]> keys, CompletableFuture<?> done) {
    inFlight.add(done);
    if (keys == null) {
      barrier = done;
      lastByKey.clear();
    } else {
      for (byte[] k : keys) {
        lastByKey.put(ByteBuffer.wrap(k), done);
      }
    }
  }

  private void prune() {
    inFlight.removeIf(CompletableFuture::isDone);
    if (lastByKey.size() > PRUNE_AT) {
      for (Iterator<CompletableFuture<?>> it = lastByKey.values().iterator(); it.hasNext(); ) {
        if (it.next().isDone()) {
          it.remove();
        }
      }
    }
  }
}
