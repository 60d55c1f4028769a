package io.kvpipe.common.topology;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/**
 * A change proposed to the meta group, replicated through its Raft log as JSON and applied by
 * {@link TopologyTransitions}. Every command carries the proposer's clock ({@code atMs}) so all replicas record the same
 * times. Commands that coordinators race on carry an optional {@code expectedVersion}: the command is refused with
 * CONFLICT unless the topology is still at that version (null = unconditional).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = MetaCommand.Bootstrap.class, name = "bootstrap"),
    @JsonSubTypes.Type(value = MetaCommand.SetNodeHealth.class, name = "set-node-health"),
    @JsonSubTypes.Type(value = MetaCommand.AddGroup.class, name = "add-group"),
    @JsonSubTypes.Type(value = MetaCommand.RemoveGroup.class, name = "remove-group"),
    @JsonSubTypes.Type(value = MetaCommand.SetGroupPeers.class, name = "set-group-peers"),
    @JsonSubTypes.Type(value = MetaCommand.SetRing.class, name = "set-ring"),
    @JsonSubTypes.Type(value = MetaCommand.PutMigration.class, name = "put-migration"),
    @JsonSubTypes.Type(value = MetaCommand.RemoveMigration.class, name = "remove-migration"),
})
public sealed interface MetaCommand {
  long atMs();

  /** Installs the first topology (epoch 1, every group on the ring) if there is none; otherwise changes nothing. */
  record Bootstrap(List<ShardGroup> groups, List<Peer> metaPeers, int vnodes, long atMs) implements MetaCommand {
    public Bootstrap {
      if (groups == null || groups.isEmpty()) {
        throw new IllegalArgumentException("bootstrap needs at least one group");
      }
      groups = List.copyOf(groups);
      metaPeers = metaPeers == null ? List.of() : List.copyOf(metaPeers);
    }
  }

  /** Records a node as up or down; a no-op (no new version) if it already is, so racing monitors are harmless. */
  record SetNodeHealth(String nodeId, boolean up, String reason, long atMs) implements MetaCommand {
    public SetNodeHealth {
      if (nodeId == null || nodeId.isBlank()) {
        throw new IllegalArgumentException("nodeId missing");
      }
    }
  }

  /** Adds a group that is not (yet) on the ring. */
  record AddGroup(ShardGroup group, Long expectedVersion, long atMs) implements MetaCommand {
    public AddGroup {
      if (group == null) {
        throw new IllegalArgumentException("group missing");
      }
    }
  }

  /** Removes a group; refused while it is on the ring or named by a migration in flight (but in its last step). */
  record RemoveGroup(String groupId, Long expectedVersion, long atMs) implements MetaCommand {
    public RemoveGroup {
      ShardGroup.checkId(groupId);
    }
  }

  /** Replaces a group's replica list after a Raft membership change. */
  record SetGroupPeers(String groupId, List<Peer> peers, Long expectedVersion, long atMs) implements MetaCommand {
    public SetGroupPeers {
      ShardGroup.checkId(groupId);
      if (peers == null || peers.isEmpty()) {
        throw new IllegalArgumentException("peers missing");
      }
      peers = List.copyOf(peers);
    }
  }

  /** Moves ownership: a new ring at a strictly higher epoch. */
  record SetRing(RingSpec ring, long epoch, Long expectedVersion, long atMs) implements MetaCommand {
    public SetRing {
      if (ring == null) {
        throw new IllegalArgumentException("ring missing");
      }
    }
  }

  /** Creates or replaces a migration record; refused (CONFLICT) while another one is in flight. */
  record PutMigration(Migration migration, Long expectedVersion, long atMs) implements MetaCommand {
    public PutMigration {
      if (migration == null) {
        throw new IllegalArgumentException("migration missing");
      }
    }
  }

  /** Forgets a finished or cancelled migration; a no-op if it is already gone. */
  record RemoveMigration(String migrationId, Long expectedVersion, long atMs) implements MetaCommand {
    public RemoveMigration {
      if (migrationId == null || migrationId.isBlank()) {
        throw new IllegalArgumentException("migrationId missing");
      }
    }
  }
}
