package io.kvpipe.common.topology;

import io.kvpipe.common.ring.HashRing;
import java.util.List;
import java.util.TreeSet;

/**
 * What determines the hash ring: the member groups and the virtual nodes per group. {@link HashRing#of} turns the same
 * spec into the same ring in every process, so only the spec is replicated. Members are kept sorted.
 */
public record RingSpec(int vnodes, List<String> members) {
  public RingSpec {
    if (vnodes < 1 || vnodes > 4096) {
      throw new IllegalArgumentException("vnodes must be within 1..4096, got " + vnodes);
    }
    if (members == null || members.isEmpty()) {
      throw new IllegalArgumentException("a ring needs at least one member group");
    }
    members.forEach(ShardGroup::checkId);
    TreeSet<String> sorted = new TreeSet<>(members);
    if (sorted.size() != members.size()) {
      throw new IllegalArgumentException("ring members repeat: " + members);
    }
    members = List.copyOf(sorted);
  }

  public HashRing toRing() {
    return HashRing.of(members, vnodes);
  }
}
