package io.kvpipe.node.reconcile;

import io.kvpipe.common.topology.Peer;
import java.util.List;

/** One step that brings this node's replicas closer to what the topology asks of it. */
public sealed interface ReplicaAction {
  String group();

  /** Host a replica of a group the topology lists this node in, with the group's listed peers. */
  record Create(String group, List<Peer> peers) implements ReplicaAction {
    public Create {
      peers = List.copyOf(peers);
    }
  }

  /**
   * Host a replica of a group this node is being added to (an add-peer migration in flight): started with no peers,
   * so it neither campaigns nor counts until the group's leader makes it a member through setConfiguration.
   */
  record Join(String group) implements ReplicaAction {}

  /** The replica already exists and the topology lists it: from now on the topology decides its fate. */
  record Adopt(String group) implements ReplicaAction {}

  /**
   * Stop hosting a replica the topology no longer gives this node (its directory is kept aside, not deleted). When the
   * group itself left the topology, {@code publishedUpTo} is the log index the topology says its change events were
   * all published up to (-1: unknown), and the replica is kept while it holds an event above it: nobody would publish
   * that event once the replicas are gone. {@link #NOT_LEAVING} when the group lives on without this replica.
   */
  record Remove(String group, long publishedUpTo) implements ReplicaAction {
    public static final long NOT_LEAVING = Long.MAX_VALUE;
  }
}
