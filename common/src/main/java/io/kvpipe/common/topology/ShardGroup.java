package io.kvpipe.common.topology;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** A shard group (a Raft group holding data): its name, as used on the ring and in events, and its replicas. */
public record ShardGroup(String id, List<Peer> peers) {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");

  public ShardGroup {
    checkId(id);
    if (peers == null || peers.isEmpty()) {
      throw new IllegalArgumentException("group " + id + " needs at least one peer");
    }
    peers = List.copyOf(peers);
    Set<String> seen = new HashSet<>();
    for (Peer p : peers) {
      if (!seen.add(p.id())) {
        throw new IllegalArgumentException("group " + id + " lists node " + p.id() + " twice");
      }
    }
  }

  public static String checkId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException("invalid group id '" + id + "': letters, digits, '_', '-' (max 63)");
    }
    return id;
  }

  /** Parses {@code g1=n1@h:p,n2@h:p}. */
  public static ShardGroup parse(String text) {
    int eq = text == null ? -1 : text.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("group must be id=n1@host:port,..., got '" + text + "'");
    }
    List<Peer> peers = java.util.Arrays.stream(text.substring(eq + 1).split(","))
        .filter(s -> !s.isBlank()).map(Peer::parse).toList();
    return new ShardGroup(text.substring(0, eq).trim(), peers);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(id).append('=');
    for (int i = 0; i < peers.size(); i++) {
      sb.append(i == 0 ? "" : ",").append(peers.get(i));
    }
    return sb.toString();
  }
}
