package io.kvpipe.proxy.topology;

import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.topology.Migration;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.common.wire.MigrationToken;
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
  /** The group migration in flight whose ring is the current one (null if none): the one {@link #fallbackRing} is of. */
  private final Migration moving;
  private volatile Map<String, HashRanges> ownership;
  /** The answer to GET /api/topology/version, encoded once per view (the cheapest, most frequent topology query). */
  private volatile byte[] versionJson;

  public TopologyView(Topology topology) {
    this.topology = topology;
    this.ring = topology.isBootstrapped() ? topology.ring().toRing() : null;
    this.moving = ring == null ? null : topology.inFlightMigration()
        .filter(m -> m.previousRing() != null && m.toEpoch() == topology.epoch() && m.fromEpoch() < m.toEpoch())
        .filter(m -> m.kind().equals(Migration.ADD_GROUP) || m.kind().equals(Migration.REMOVE_GROUP))
        .orElse(null);
    this.fallbackRing = moving == null ? null : moving.previousRing().toRing();
  }

  public Topology topology() {
    return topology;
  }

  public long version() {
    return topology.version();
  }

  /** {@code {"version":..,"epoch":..}} of this topology; the same bytes for every query of this view. */
  public byte[] versionJson() {
    byte[] json = versionJson;
    if (json == null) {
      json = ("{\"version\":" + topology.version() + ",\"epoch\":" + topology.epoch() + "}")
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      versionJson = json;
    }
    return json;
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

  /**
   * Whether a moving key's new owner may hold a record older than its old owner's: during a cancel's inverse, the new
   * owner is the group the key first moved away from, which still holds its record from before the migration. A read
   * then takes the newer of both owners' records; otherwise the new owner's record, when it has one, is the newest
   * (everything it holds in the moving ranges was written there after the fence, or copied).
   */
  public boolean oldRecordsOnNewOwner() {
    return moving != null && Boolean.parseBoolean(moving.attributes().get("cancelled"));
  }

  /** The fencing token of the migration whose ring is the current one, or null (see {@link #fallbackGroupFor}). */
  public MigrationToken migrationToken() {
    return moving == null ? null : new MigrationToken(moving.id(), moving.toEpoch());
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
