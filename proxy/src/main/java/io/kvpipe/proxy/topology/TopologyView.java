package io.kvpipe.proxy.topology;

import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.topology.Migration;
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
  /** The ring before the migration in flight, while reads of moved keys may still have to fall back to it. */
  private final HashRing fallbackRing;
  private volatile Map<String, HashRanges> ownership;

  public TopologyView(Topology topology) {
    this.topology = topology;
    this.ring = topology.isBootstrapped() ? topology.ring().toRing() : null;
    this.fallbackRing = ring == null ? null : topology.inFlightMigration()
        .filter(m -> m.previousRing() != null && m.toEpoch() == topology.epoch() && m.fromEpoch() < m.toEpoch())
        .filter(m -> m.kind().equals(Migration.ADD_GROUP) || m.kind().equals(Migration.REMOVE_GROUP))
        .map(m -> m.previousRing().toRing()).orElse(null);
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

  /**
   * The group a read of {@code key} falls back to when its owner has no record of it: its owner under the ring before
   * the migration in flight, if the ring has already changed and the key moved; null otherwise. (From the ring switch
   * until the migration is done, so also while the coordinator is between steps.) Null too once that group left the
   * topology: a drained group is removed only after it was purged, so it holds nothing to fall back to any more.
   */
  public String fallbackGroupFor(byte[] key) {
    if (fallbackRing == null) {
      return null;
    }
    String before = fallbackRing.groupFor(key);
    return before.equals(ring.groupFor(key)) || topology.group(before).isEmpty() ? null : before;
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
