package io.kvpipe.common.topology;

import java.util.List;
import java.util.Map;

/**
 * A migration in flight (adding or draining a group), stored in the meta group so any proxy can resume it. The fields
 * are the ones every migration has; protocol-specific state (ranges, cursors, throttle) goes into {@code attributes},
 * which the coordinator owns.
 *
 * @param kind       e.g. {@code add-group} or {@code remove-group}
 * @param phase      the coordinator's phase name; {@code done} migrations are removed, not kept
 * @param fromEpoch  the epoch before the ring change
 * @param toEpoch    the epoch at which the new owners take over
 * @param previousRing the ring before the change: where reads fall back while keys are being copied
 */
public record Migration(String id, String kind, String phase, long fromEpoch, long toEpoch, RingSpec previousRing,
                        List<String> sourceGroups, List<String> targetGroups, long keysCopied, long keysTotal,
                        long startedAtMs, long updatedAtMs, Map<String, String> attributes) {
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
}
