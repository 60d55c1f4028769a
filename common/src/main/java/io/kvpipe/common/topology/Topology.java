package io.kvpipe.common.topology;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The cluster's topology as stored by the meta group: shard groups and their replicas, the ring that maps keys to
 * groups, the ownership epoch, node health, and migrations (at most one in flight, plus recent history). Immutable; every change produces a new instance
 * with {@code version} + 1 (the epoch only moves when ownership changes). {@link #EMPTY} (version 0) means "not
 * bootstrapped yet".
 *
 * @param metaPeers the replicas of the meta group itself (their nodes are health-checked like any other)
 */
public record Topology(long version, long epoch, RingSpec ring, List<ShardGroup> groups, List<Peer> metaPeers,
                       List<NodeInfo> nodes, List<Migration> migrations, long updatedAtMs) {
  public static final Topology EMPTY = new Topology(0, 0, null, List.of(), List.of(), List.of(), List.of(), 0);

  public Topology {
    groups = groups == null ? List.of() : List.copyOf(groups);
    metaPeers = metaPeers == null ? List.of() : List.copyOf(metaPeers);
    nodes = nodes == null ? List.of() : List.copyOf(nodes);
    migrations = migrations == null ? List.of() : List.copyOf(migrations);
    if (version < 0 || epoch < 0) {
      throw new IllegalArgumentException("version and epoch must not be negative");
    }
    if (ring != null) {
      for (String member : ring.members()) {
        if (groups.stream().noneMatch(g -> g.id().equals(member))) {
          throw new IllegalArgumentException("ring member " + member + " is not a known group");
        }
      }
    }
  }

  public boolean isBootstrapped() {
    return ring != null;
  }

  public Optional<ShardGroup> group(String id) {
    for (ShardGroup g : groups) {
      if (g.id().equals(id)) {
        return Optional.of(g);
      }
    }
    return Optional.empty();
  }

  public Optional<NodeInfo> node(String id) {
    for (NodeInfo n : nodes) {
      if (n.id().equals(id)) {
        return Optional.of(n);
      }
    }
    return Optional.empty();
  }

  public Optional<Migration> migration(String id) {
    return migrations.stream().filter(m -> m.id().equals(id)).findFirst();
  }

  /** The migration or membership change in flight, if any (there is at most one). */
  public Optional<Migration> inFlightMigration() {
    return migrations.stream().filter(Migration::inFlight).findFirst();
  }

  /** The ids of the groups on the ring (the ones that own keys at {@link #epoch}). */
  public List<String> ringMembers() {
    return ring == null ? List.of() : ring.members();
  }

  // "with" helpers used by TopologyTransitions; each leaves version and timestamps to the caller.

  Topology withGroups(List<ShardGroup> newGroups, List<NodeInfo> newNodes) {
    return new Topology(version, epoch, ring, newGroups, metaPeers, newNodes, migrations, updatedAtMs);
  }

  Topology withNodes(List<NodeInfo> newNodes) {
    return new Topology(version, epoch, ring, groups, metaPeers, newNodes, migrations, updatedAtMs);
  }

  Topology withRing(RingSpec newRing, long newEpoch) {
    return new Topology(version, newEpoch, newRing, groups, metaPeers, nodes, migrations, updatedAtMs);
  }

  Topology withMigrations(List<Migration> newMigrations) {
    return new Topology(version, epoch, ring, groups, metaPeers, nodes, newMigrations, updatedAtMs);
  }

  Topology bumped(long atMs) {
    return new Topology(version + 1, epoch, ring, groups, metaPeers, nodes, migrations, atMs);
  }

  /** Every node named by a group or the meta group, with health carried over from {@code nodes} where known. */
  static List<NodeInfo> nodesFor(List<ShardGroup> groups, List<Peer> metaPeers, List<NodeInfo> known, long atMs) {
    List<NodeInfo> out = new ArrayList<>();
    List<Peer> all = new ArrayList<>(metaPeers);
    groups.forEach(g -> all.addAll(g.peers()));
    for (Peer p : all) {
      if (out.stream().anyMatch(n -> n.id().equals(p.id()))) {
        if (out.stream().noneMatch(n -> n.id().equals(p.id()) && n.address().equals(p.address()))) {
          throw new IllegalArgumentException("node " + p.id() + " has two addresses");
        }
        continue;
      }
      NodeInfo prior = known.stream().filter(n -> n.id().equals(p.id())).findFirst().orElse(null);
      out.add(prior != null && prior.address().equals(p.address())
          ? prior : new NodeInfo(p.id(), p.address(), true, atMs, "joined"));
    }
    out.sort(java.util.Comparator.comparing(NodeInfo::id));
    return out;
  }
}
