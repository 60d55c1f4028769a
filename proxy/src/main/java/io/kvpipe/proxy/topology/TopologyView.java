package io.kvpipe.proxy.topology;

import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.topology.Topology;
import java.util.Map;

/**
 * A topology plus the ring derived from it, built once per topology version so routing a key is one hash and one
 * binary search. Immutable.
 */
public final class TopologyView {
  public static final TopologyView EMPTY = new TopologyView(Topology.EMPTY);

  private final Topology topology;
  private final HashRing ring;
  private volatile Map<String, HashRanges> ownership;

  public TopologyView(Topology topology) {
    this.topology = topology;
    this.ring = topology.isBootstrapped() ? topology.ring().toRing() : null;
  }

  public Topology topology() {
    return topology;
  }

  public long version() {
    return topology.version();
  }

  public boolean isReady() {
    return ring != null;
  }

  /** The group that owns {@code key} at this topology's epoch; null before bootstrap. */
  public String groupFor(byte[] key) {
    return ring == null ? null : ring.groupFor(key);
  }

  /** Ranges each ring member owns (computed on first use; only the admin API needs it). */
  public Map<String, HashRanges> ownership() {
    Map<String, HashRanges> o = ownership;
    if (o == null && ring != null) {
      o = ring.ownership();
      ownership = o;
    }
    return o == null ? Map.of() : o;
  }
}
