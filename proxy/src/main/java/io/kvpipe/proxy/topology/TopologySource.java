package io.kvpipe.proxy.topology;

import java.util.concurrent.CompletableFuture;

/** Where routing reads the topology: the view now, and a reload when a group says the view is stale. */
public interface TopologySource {
  TopologyView current();

  /** Reloads the topology now; completes with the (possibly unchanged) view. */
  CompletableFuture<TopologyView> refresh();
}
