package io.kvpipe.common.topology;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.regex.Pattern;

/**
 * One replica of a Raft group: a node id and the host:port its Ratis server listens on. Written everywhere (flags, JSON,
 * logs) as {@code id@host:port}, e.g. {@code n1@127.0.0.1:9001}.
 */
public record Peer(String id, String host, int port) {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

  public Peer {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException("invalid node id '" + id + "': letters, digits, '_', '.', '-' (max 63)");
    }
    if (host == null || host.isBlank() || host.contains("@") || host.contains(",")) {
      throw new IllegalArgumentException("invalid host '" + host + "' for node " + id);
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("invalid port " + port + " for node " + id);
    }
  }

  /** Parses {@code id@host:port}. */
  @JsonCreator
  public static Peer parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("peer must be id@host:port, got null");
    }
    String s = text.trim();
    int at = s.indexOf('@');
    int colon = s.lastIndexOf(':');
    if (at <= 0 || colon < at + 2 || colon == s.length() - 1) {
      throw new IllegalArgumentException("peer must be id@host:port, got '" + text + "'");
    }
    int port;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("peer must be id@host:port, bad port in '" + text + "'");
    }
    return new Peer(s.substring(0, at), s.substring(at + 1, colon), port);
  }

  /** The Ratis address, {@code host:port}. */
  public String address() {
    return host + ":" + port;
  }

  @JsonValue
  @Override
  public String toString() {
    return id + "@" + host + ":" + port;
  }
}
