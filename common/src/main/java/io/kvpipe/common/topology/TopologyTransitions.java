package io.kvpipe.common.topology;

import io.kvpipe.common.error.ErrorCode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The meta group's state transitions: a pure function (state, command) → (state, reply). Deterministic, so every
 * replica computes the same topology; a refused command returns the state unchanged. Each change bumps the version
 * and appends one event stamped with that version and the command's time.
 */
public final class TopologyTransitions {
  private TopologyTransitions() {}

  public record Result(MetaState state, MetaReply reply) {}

  public static Result apply(MetaState state, MetaCommand command) {
    Topology t = state.topology();
    if (!(command instanceof MetaCommand.Bootstrap) && !t.isBootstrapped()) {
      return refuse(state, ErrorCode.UNAVAILABLE, "the topology is not bootstrapped yet");
    }
    Long expected = expectedVersion(command);
    if (expected != null && expected != t.version()) {
      return refuse(state, ErrorCode.CONFLICT,
          "topology is at version " + t.version() + ", the command expected " + expected);
    }
    try {
      return switch (command) {
        case MetaCommand.Bootstrap c -> bootstrap(state, c);
        case MetaCommand.SetNodeHealth c -> setNodeHealth(state, c);
        case MetaCommand.AddGroup c -> addGroup(state, c);
        case MetaCommand.RemoveGroup c -> removeGroup(state, c);
        case MetaCommand.SetGroupPeers c -> setGroupPeers(state, c);
        case MetaCommand.SetRing c -> setRing(state, c);
        case MetaCommand.PutMigration c -> putMigration(state, c);
        case MetaCommand.RemoveMigration c -> removeMigration(state, c);
      };
    } catch (IllegalArgumentException e) {
      // Invariant checks of the model (e.g. a node id with two addresses): refused, nothing changes.
      return refuse(state, ErrorCode.MALFORMED_REQUEST, e.getMessage());
    }
  }

  private static Long expectedVersion(MetaCommand c) {
    return switch (c) {
      case MetaCommand.AddGroup x -> x.expectedVersion();
      case MetaCommand.RemoveGroup x -> x.expectedVersion();
      case MetaCommand.SetGroupPeers x -> x.expectedVersion();
      case MetaCommand.SetRing x -> x.expectedVersion();
      case MetaCommand.PutMigration x -> x.expectedVersion();
      case MetaCommand.RemoveMigration x -> x.expectedVersion();
      case MetaCommand.Bootstrap x -> null;
      case MetaCommand.SetNodeHealth x -> null;
    };
  }

  private static Result bootstrap(MetaState state, MetaCommand.Bootstrap c) {
    if (state.topology().isBootstrapped()) {
      return unchanged(state);
    }
    List<String> ids = c.groups().stream().map(ShardGroup::id).toList();
    if (ids.stream().distinct().count() != ids.size()) {
      return refuse(state, ErrorCode.MALFORMED_REQUEST, "group ids repeat: " + ids);
    }
    RingSpec ring = new RingSpec(c.vnodes(), ids);
    List<NodeInfo> nodes = Topology.nodesFor(c.groups(), c.metaPeers(), List.of(), c.atMs());
    Topology next = new Topology(1, 1, ring, c.groups(), c.metaPeers(), nodes, List.of(), c.atMs());
    return changed(state, next, TopologyEvent.BOOTSTRAP, details("groups", String.join(",", ids),
        "vnodes", Integer.toString(c.vnodes()), "epoch", "1"));
  }

  private static Result setNodeHealth(MetaState state, MetaCommand.SetNodeHealth c) {
    Topology t = state.topology();
    NodeInfo node = t.node(c.nodeId()).orElse(null);
    if (node == null) {
      return refuse(state, ErrorCode.NOT_FOUND, "unknown node " + c.nodeId());
    }
    if (node.up() == c.up()) {
      return unchanged(state);
    }
    List<NodeInfo> nodes = new ArrayList<>(t.nodes());
    nodes.replaceAll(n -> n.id().equals(c.nodeId()) ? n.withHealth(c.up(), c.atMs(), c.reason()) : n);
    return changed(state, t.withNodes(nodes).bumped(c.atMs()),
        c.up() ? TopologyEvent.NODE_UP : TopologyEvent.NODE_DOWN,
        details("node", c.nodeId(), "address", node.address(), "reason", c.reason() == null ? "" : c.reason()));
  }

  private static Result addGroup(MetaState state, MetaCommand.AddGroup c) {
    Topology t = state.topology();
    if (t.group(c.group().id()).isPresent()) {
      return refuse(state, ErrorCode.CONFLICT, "group " + c.group().id() + " already exists");
    }
    // A new incarnation: the version this change produces, which no other change ever had.
    ShardGroup added = c.group().withIncarnation(t.version() + 1);
    if (added.raftName().length() > ShardGroup.MAX_RAFT_NAME) {
      return refuse(state, ErrorCode.MALFORMED_REQUEST, "group id " + added.id() + " is too long to be added now:"
          + " its Raft group " + added.raftName() + " must fit in " + ShardGroup.MAX_RAFT_NAME + " characters");
    }
    List<ShardGroup> groups = new ArrayList<>(t.groups());
    groups.add(added);
    List<NodeInfo> nodes = Topology.nodesFor(groups, t.metaPeers(), t.nodes(), c.atMs());
    return changed(state, t.withGroups(groups, nodes).bumped(c.atMs()), TopologyEvent.GROUP_ADDED,
        details("group", added.id(), "raftGroup", added.raftName(), "peers", added.toString()));
  }

  private static Result removeGroup(MetaState state, MetaCommand.RemoveGroup c) {
    Topology t = state.topology();
    if (t.group(c.groupId()).isEmpty()) {
      return refuse(state, ErrorCode.UNKNOWN_GROUP, "unknown group " + c.groupId());
    }
    if (t.ringMembers().contains(c.groupId())) {
      return refuse(state, ErrorCode.CONFLICT, "group " + c.groupId() + " still owns keys; drain it first");
    }
    // A drain's own last step removes the group it drained (a cancelled add the group it added), so a migration in
    // its finishing step does not hold it (the public phase of a cancel's steps is "cancelling").
    boolean inMigration = t.migrations().stream().anyMatch(m -> m.inFlight() && m.involves(c.groupId())
        && !m.phase().equals("finishing") && !"finishing".equals(m.attributes().get("step")));
    if (inMigration) {
      return refuse(state, ErrorCode.CONFLICT, "group " + c.groupId() + " is part of a migration in flight");
    }
    List<ShardGroup> groups = t.groups().stream().filter(g -> !g.id().equals(c.groupId())).toList();
    List<NodeInfo> nodes = Topology.nodesFor(groups, t.metaPeers(), t.nodes(), c.atMs());
    return changed(state, t.withGroups(groups, nodes).bumped(c.atMs()), TopologyEvent.GROUP_REMOVED,
        details("group", c.groupId()));
  }

  private static Result setGroupPeers(MetaState state, MetaCommand.SetGroupPeers c) {
    Topology t = state.topology();
    if (t.group(c.groupId()).isEmpty()) {
      return refuse(state, ErrorCode.UNKNOWN_GROUP, "unknown group " + c.groupId());
    }
    ShardGroup updated = t.group(c.groupId()).orElseThrow().withPeers(c.peers());
    List<ShardGroup> groups = new ArrayList<>(t.groups());
    groups.replaceAll(g -> g.id().equals(c.groupId()) ? updated : g);
    List<NodeInfo> nodes = Topology.nodesFor(groups, t.metaPeers(), t.nodes(), c.atMs());
    return changed(state, t.withGroups(groups, nodes).bumped(c.atMs()), TopologyEvent.PEERS_CHANGED,
        details("group", c.groupId(), "peers", updated.toString()));
  }

  private static Result setRing(MetaState state, MetaCommand.SetRing c) {
    Topology t = state.topology();
    if (c.epoch() <= t.epoch()) {
      return refuse(state, ErrorCode.CONFLICT, "a new ring needs an epoch above " + t.epoch() + ", got " + c.epoch());
    }
    for (String member : c.ring().members()) {
      if (t.group(member).isEmpty()) {
        return refuse(state, ErrorCode.UNKNOWN_GROUP, "ring member " + member + " is not a known group");
      }
    }
    return changed(state, t.withRing(c.ring(), c.epoch()).bumped(c.atMs()), TopologyEvent.RING_CHANGED,
        details("members", String.join(",", c.ring().members()), "vnodes", Integer.toString(c.ring().vnodes()),
            "epoch", Long.toString(c.epoch())));
  }

  /**
   * One change at a time: a migration in flight is refused while another one is. An ended migration cannot be revived
   * (a coordinator that lost its lease must not undo the one that finished the job). Ended migrations are kept as
   * history, the newest {@link Migration#MAX_HISTORY} by update time.
   */
  private static Result putMigration(MetaState state, MetaCommand.PutMigration c) {
    Topology t = state.topology();
    Migration m = c.migration();
    Migration existing = t.migration(m.id()).orElse(null);
    if (existing != null && !existing.inFlight() && m.inFlight()) {
      return refuse(state, ErrorCode.CONFLICT, "migration " + m.id() + " already ended (" + existing.phase() + ")");
    }
    if (m.inFlight()) {
      Migration other = t.inFlightMigration().filter(x -> !x.id().equals(m.id())).orElse(null);
      if (other != null) {
        return refuse(state, ErrorCode.CONFLICT, "another change is in flight: " + other.kind() + " " + other.id()
            + " (" + other.phase() + ")");
      }
    }
    List<Migration> migrations = new ArrayList<>(t.migrations());
    int at = migrations.indexOf(existing);
    if (at >= 0) {
      migrations.set(at, m);
    } else {
      migrations.add(m);
    }
    List<Migration> ended = migrations.stream().filter(x -> !x.inFlight())
        .sorted(java.util.Comparator.comparingLong(Migration::updatedAtMs)).toList();
    for (int i = 0; i < ended.size() - Migration.MAX_HISTORY; i++) {
      migrations.remove(ended.get(i));
    }
    return changed(state, t.withMigrations(migrations).bumped(c.atMs()), TopologyEvent.MIGRATION_UPDATED,
        details("migration", m.id(), "kind", m.kind(), "phase", m.phase()));
  }

  private static Result removeMigration(MetaState state, MetaCommand.RemoveMigration c) {
    Topology t = state.topology();
    if (t.migration(c.migrationId()).isEmpty()) {
      return unchanged(state);
    }
    List<Migration> migrations = t.migrations().stream().filter(m -> !m.id().equals(c.migrationId())).toList();
    return changed(state, t.withMigrations(migrations).bumped(c.atMs()), TopologyEvent.MIGRATION_REMOVED,
        details("migration", c.migrationId()));
  }

  private static Result changed(MetaState state, Topology next, String type, Map<String, String> details) {
    TopologyEvent event = new TopologyEvent(next.version(), next.updatedAtMs(), type, details);
    return new Result(state.advance(next, List.of(event)), MetaReply.applied(true, next.version()));
  }

  private static Result unchanged(MetaState state) {
    return new Result(state, MetaReply.applied(false, state.topology().version()));
  }

  private static Result refuse(MetaState state, ErrorCode code, String message) {
    return new Result(state, MetaReply.refused(code, message, state.topology().version()));
  }

  private static Map<String, String> details(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }
}
