package io.kvpipe.node.meta;

import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.wire.GroupIds;
import java.util.List;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

/**
 * How a kv-node hosts the meta group: its fixed name, its Ratis group id, its peer list, and a fresh state machine per
 * hosted replica. A kv-node's state-machine registry returns {@link #newStateMachine()} for {@link #groupId()} and a
 * shard state machine for every other group.
 */
public final class MetaGroup {
  /** The meta group's name; its Ratis id is derived from it like every other group's. */
  public static final String NAME = "meta";

  private MetaGroup() {}

  public static RaftGroupId groupId() {
    return RaftGroupId.valueOf(GroupIds.uuidOf(NAME));
  }

  public static boolean isMeta(RaftGroupId id) {
    return groupId().equals(id);
  }

  public static RaftGroup raftGroup(List<Peer> peers) {
    return RaftGroup.valueOf(groupId(), peers.stream().map(MetaGroup::raftPeer).toList());
  }

  public static RaftPeer raftPeer(Peer p) {
    return RaftPeer.newBuilder().setId(RaftPeerId.valueOf(p.id())).setAddress(p.address()).build();
  }

  public static MetaStateMachine newStateMachine() {
    return new MetaStateMachine();
  }
}
