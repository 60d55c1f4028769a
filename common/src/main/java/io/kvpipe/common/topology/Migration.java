package io.kvpipe.common.topology;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A migration (adding or draining a group) or a membership change (adding or removing a replica), stored in the meta
 * group so any proxy can resume it. The fields are the ones every migration has; protocol-specific state (ranges,
 * cursors, throttle, lease) goes into {@code attributes}, which the coordinator owns.
 *
 * <p>A migration is <em>in flight</em> until its phase is one of {@link #ENDED_PHASES}; at most one is in flight at a
 * time (see {@link TopologyTransitions}). Ended ones stay in the topology as history, the newest
 * {@link #MAX_HISTORY}.
 *
 * @param kind       {@link #ADD_GROUP}, {@link #REMOVE_GROUP}, {@link #ADD_PEER} or {@link #REMOVE_PEER}
 * @param phase      the coordinator's phase name
 * @param fromEpoch  the epoch before the ring change
 * @param toEpoch    the epoch at which the new owners take over
 * @param previousRing the ring before the change: where reads fall back while keys are being copied
 */
public record Migration(String id, String kind, String phase, long fromEpoch, long toEpoch, RingSpec previousRing,
                        List<String> sourceGroups, List<String> targetGroups, long keysCopied, long keysTotal,
                        long startedAtMs, long updatedAtMs, Map<String, String> attributes) {
  public static final String ADD_GROUP = "add-group";
  public static final String REMOVE_GROUP = "remove-group";
  public static final String ADD_PEER = "add-peer";
  public static final String REMOVE_PEER = "remove-peer";

  public static final String DONE = "done";
  public static final String CANCELLED = "cancelled";
  public static final String FAILED = "failed";
  public static final Set<String> ENDED_PHASES = Set.of(DONE, CANCELLED, FAILED);
  /**
   * Attribute prefix: {@code publishedUpTo.<raft name>} is the log index up to which every change event of a group
   * the migration removed from the topology was published when it was removed. A node whose replica of that group
   * missed the last confirmations (it was down) learns from it that what the replica still holds was published.
   */
  public static final String PUBLISHED_UP_TO = "publishedUpTo.";
  /** Ended migrations kept in the topology; older ones are dropped. */
  public static final int MAX_HISTORY = 20;

  public Migration {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("migration id missing");
    }
    if (kind == null || kind.isBlank() || phase == null || phase.isBlank()) {
      throw new IllegalArgumentException("migration " + id + " needs a kind and a phase");
    }
    sourceGroups = sourceGroups == null ? List.of() : List.copyOf(sourceGroups);
    targetGroups = targetGroups == null ? List.of() : List.copyOf(targetGroups);
    attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
  }

  /** Not yet done, cancelled or failed. (Not a bean getter, so it stays out of the JSON form.) */
  public boolean inFlight() {
    return !ENDED_PHASES.contains(phase);
  }

  /** The index the group of Raft name {@code group} was published up to when this migration removed it, or -1. */
  public long publishedUpTo(String group) {
    try {
      return Long.parseLong(attributes.getOrDefault(PUBLISHED_UP_TO + group, "-1"));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Whether the migration names {@code group} as a source or a target. */
  public boolean involves(String group) {
    return sourceGroups.contains(group) || targetGroups.contains(group) || group.equals(attributes.get("group"));
  }
}
