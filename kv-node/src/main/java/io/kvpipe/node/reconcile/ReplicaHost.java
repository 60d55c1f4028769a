package io.kvpipe.node.reconcile;

import io.kvpipe.common.topology.Peer;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/** What the reconciler needs of the node: which shard replicas it hosts, and creating and removing one. */
public interface ReplicaHost {
  /** Names of the shard groups (never meta) this node hosts a replica of now. */
  Set<String> hostedShardGroups();

  /**
   * Creates a replica with these peers; an empty list creates a joining replica that waits to be added by the group's
   * leader. Also starts its metrics and (with CDC on) its leader publishing.
   */
  void createReplica(String group, List<Peer> peers) throws IOException;

  /**
   * Finishes the creations {@link #createReplica} gave up waiting for (it threw) that have completed since: attaches
   * them, or cleans up after them if they failed. Called by the reconciler before each round.
   */
  default void finishPendingAdds() {}

  /**
   * Why the replica of a group that left the topology must not be removed yet, or null if it may: it holds change
   * events (unconfirmed in its outbox) with a log index above {@code publishedUpTo} (-1: nothing known published),
   * which may not have reached Kafka; or, with nothing known, it has not applied every entry it knows committed.
   */
  String removalBlocker(String group, long publishedUpTo);

  /** Stops the replica's publishing, then removes it from the server, keeping its directory aside. */
  void removeReplica(String group) throws IOException;
}
