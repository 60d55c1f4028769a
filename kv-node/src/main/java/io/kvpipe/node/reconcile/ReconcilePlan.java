package io.kvpipe.node.reconcile;

import io.kvpipe.common.topology.Migration;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.Topology;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What one node must do to host exactly the shard-group replicas a topology gives it: a pure function, so the rules
 * are tested without a cluster. Replicas are named by their group's Raft name ({@link ShardGroup#raftName()}): a
 * replica of an earlier incarnation of a group name is another group, removed like any group that left.
 *
 * <p>Rules. Nothing is done on a topology that is not bootstrapped. A group that lists this node and is not hosted is
 * created. An add-peer migration in flight naming this node (attributes {@code group}, {@code peer} =
 * {@code id@host:port}) makes it join that group. A hosted group is removed only if the topology has listed it for
 * this node before ("managed") and now neither lists it for this node nor has a migration in flight naming this node
 * for it: a group hosted by {@code --group} alone, which the topology never mentioned, is left alone (it may be about
 * to be added). Removing the replica of a group that left the topology carries what the topology says about its
 * published events (see {@link ReplicaAction.Remove}). The meta group is never touched.
 */
public final class ReconcilePlan {
  /** Migration attribute naming the group an add-peer / remove-peer migration changes. */
  public static final String ATTR_GROUP = "group";
  /** Migration attribute naming the peer ({@code id@host:port}) an add-peer / remove-peer migration adds or removes. */
  public static final String ATTR_PEER = "peer";
  public static final String KIND_ADD_PEER = Migration.ADD_PEER;
  public static final String KIND_REMOVE_PEER = Migration.REMOVE_PEER;

  private ReconcilePlan() {}

  /**
   * @param hosted  shard groups (not meta) this node hosts now
   * @param managed groups whose replica here follows the topology (listed for this node at some point)
   */
  public static List<ReplicaAction> plan(Topology t, String nodeId, Set<String> hosted, Set<String> managed,
                                         String metaGroup) {
    List<ReplicaAction> out = new ArrayList<>();
    if (t == null || !t.isBootstrapped()) {
      return out;
    }
    Set<String> joining = joiningGroups(t, nodeId);
    Set<String> planned = new LinkedHashSet<>();
    for (ShardGroup g : t.groups()) {
      String name = g.raftName();
      if (name.equals(metaGroup) || !lists(g, nodeId)) {
        continue;
      }
      if (!hosted.contains(name)) {
        out.add(new ReplicaAction.Create(name, g.peers()));
      } else if (!managed.contains(name)) {
        out.add(new ReplicaAction.Adopt(name));
      }
      planned.add(name);
    }
    for (String g : joining) {
      if (!planned.contains(g) && !g.equals(metaGroup) && !hosted.contains(g)) {
        out.add(new ReplicaAction.Join(g));
        planned.add(g);
      }
    }
    Set<String> named = namedGroups(t, nodeId);
    for (String g : hosted) {
      if (g.equals(metaGroup) || planned.contains(g) || named.contains(g) || !managed.contains(g)) {
        continue;
      }
      boolean livesOn = t.groups().stream().anyMatch(x -> x.raftName().equals(g));
      out.add(new ReplicaAction.Remove(g, livesOn ? ReplicaAction.Remove.NOT_LEAVING : publishedUpTo(t, g)));
    }
    return out;
  }

  /** Where the migration that removed {@code group} recorded its events published up to; -1 if none did. */
  static long publishedUpTo(Topology t, String group) {
    long best = -1;
    for (Migration m : t.migrations()) {
      best = Math.max(best, m.publishedUpTo(group));
    }
    return best;
  }

  private static boolean lists(ShardGroup g, String nodeId) {
    return g.peers().stream().anyMatch(p -> p.id().equals(nodeId));
  }

  /** Raft names of the groups an add-peer migration in flight is adding this node to. */
  static Set<String> joiningGroups(Topology t, String nodeId) {
    Set<String> out = new LinkedHashSet<>();
    for (Migration m : t.migrations()) {
      if (KIND_ADD_PEER.equals(m.kind()) && m.inFlight() && namesNode(m, nodeId)) {
        t.group(m.attributes().get(ATTR_GROUP)).ifPresent(g -> out.add(g.raftName()));
      }
    }
    return out;
  }

  /** Raft names of the groups a membership migration in flight names this node for (the replica stays meanwhile). */
  static Set<String> namedGroups(Topology t, String nodeId) {
    Set<String> out = new LinkedHashSet<>();
    for (Migration m : t.migrations()) {
      if (m.inFlight() && namesNode(m, nodeId)) {
        t.group(m.attributes().get(ATTR_GROUP)).ifPresent(g -> out.add(g.raftName()));
      }
    }
    return out;
  }

  private static boolean namesNode(Migration m, String nodeId) {
    String group = m.attributes().get(ATTR_GROUP);
    String peer = m.attributes().get(ATTR_PEER);
    if (group == null || peer == null) {
      return false;
    }
    try {
      ShardGroup.checkId(group);
      return Peer.parse(peer).id().equals(nodeId);
    } catch (IllegalArgumentException malformed) {
      // A record this node cannot read names nobody; the coordinator that wrote it reports the problem.
      return false;
    }
  }
}
