package io.kvpipe.common.topology;

/**
 * A kv-node as the health monitor sees it: reachable ({@code up}) or not, since when, and why it last changed. A node
 * starts up when it joins the topology; only the health monitor flips it.
 */
public record NodeInfo(String id, String address, boolean up, long changedAtMs, String reason) {
  public NodeInfo {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("node id missing");
    }
    if (address == null || address.isBlank()) {
      throw new IllegalArgumentException("address missing for node " + id);
    }
    reason = reason == null ? "" : reason;
  }

  public NodeInfo withHealth(boolean nowUp, long atMs, String why) {
    return new NodeInfo(id, address, nowUp, atMs, why);
  }
}
