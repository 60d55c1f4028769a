package io.kvpipe.common.topology;

import java.util.Map;

/**
 * One change to the topology: the version it produced, when (the proposer's clock, carried in the command so every
 * replica records the same time), what kind of change, and details for humans and tools.
 */
public record TopologyEvent(long version, long timeMs, String type, Map<String, String> details) {
  public static final String BOOTSTRAP = "BOOTSTRAP";
  public static final String NODE_UP = "NODE_UP";
  public static final String NODE_DOWN = "NODE_DOWN";
  public static final String GROUP_ADDED = "GROUP_ADDED";
  public static final String GROUP_REMOVED = "GROUP_REMOVED";
  public static final String PEERS_CHANGED = "PEERS_CHANGED";
  public static final String RING_CHANGED = "RING_CHANGED";
  public static final String MIGRATION_UPDATED = "MIGRATION_UPDATED";
  public static final String MIGRATION_REMOVED = "MIGRATION_REMOVED";

  public TopologyEvent {
    if (type == null || type.isBlank()) {
      throw new IllegalArgumentException("event type missing");
    }
    details = details == null ? Map.of() : Map.copyOf(details);
  }
}
