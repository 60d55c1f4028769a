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

  /** Stop hosting a replica the topology no longer gives this node (its directory is kept aside, not deleted). */
  record Remove(String group) implements ReplicaAction {}
}
