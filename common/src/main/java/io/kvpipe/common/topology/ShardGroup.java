package io.kvpipe.common.topology;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A shard group (a Raft group holding data): its name, as used on the ring, its replicas, and its incarnation. A name
 * may be drained and added again; each time it is a new Raft group with a new log, told apart by the incarnation:
 * 0 for the groups the cluster was bootstrapped with, else the topology version that added it (never reused). The
 * Raft group and the identity of its change events ({@code source.group}) are named {@link #raftName()}: the name for
 * incarnation 0, {@code <name>.<incarnation>} otherwise, so no two incarnations ever share an event identity or a
 * log (a replica of an old incarnation can never join a new one).
 */
public record ShardGroup(String id, List<Peer> peers,
                         // Absent in topologies written before incarnations existed: the first one.
                         @JsonInclude(JsonInclude.Include.NON_DEFAULT) @JsonSetter(nulls = Nulls.AS_EMPTY)
                         long incarnation) {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");
  /** The longest Raft name: a Ratis group name and the archive's {@code group_id} column both hold 63 characters. */
  public static final int MAX_RAFT_NAME = 63;

  public ShardGroup {
    checkId(id);
    if (incarnation < 0) {
      throw new IllegalArgumentException("group " + id + " has a negative incarnation");
    }
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

  /** A group of the first incarnation (as bootstrapped, or before the meta group assigns one). */
  public ShardGroup(String id, List<Peer> peers) {
    this(id, peers, 0);
  }

  /** The name of this incarnation's Raft group, which its events carry as {@code source.group}. */
  public String raftName() {
    return raftName(id, incarnation);
  }

  public static String raftName(String id, long incarnation) {
    return incarnation == 0 ? id : id + "." + incarnation;
  }

  public ShardGroup withIncarnation(long i) {
    return new ShardGroup(id, peers, i);
  }

  public ShardGroup withPeers(List<Peer> newPeers) {
    return new ShardGroup(id, newPeers, incarnation);
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
