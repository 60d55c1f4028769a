package io.kvpipe.common.wire;

import java.util.ArrayList;
import java.util.List;

/** One replica of a group: its Raft peer id and gRPC address. Text form: {@code n1@127.0.0.1:7001}. */
public record PeerAddress(String id, String host, int port) {
  public PeerAddress {
    if (id == null || id.isBlank() || !id.matches("[A-Za-z0-9_.-]+")) {
      throw new IllegalArgumentException("invalid peer id '" + id + "'");
    }
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("peer " + id + " has no host");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("peer " + id + " has invalid port " + port);
    }
  }

  /** Parses {@code id@host:port}. */
  public static PeerAddress parse(String text) {
    String t = text.trim();
    int at = t.indexOf('@');
    int colon = t.lastIndexOf(':');
    if (at < 1 || colon < at + 2 || colon == t.length() - 1) {
      throw new IllegalArgumentException("peer '" + text + "' is not of the form id@host:port");
    }
    try {
      return new PeerAddress(t.substring(0, at), t.substring(at + 1, colon), Integer.parseInt(t.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("peer '" + text + "' has a non-numeric port", e);
    }
  }

  /** Parses a comma-separated list of {@code id@host:port}. */
  public static List<PeerAddress> parseList(String text) {
    List<PeerAddress> out = new ArrayList<>();
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        out.add(parse(part));
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no peers in '" + text + "'");
    }
    return List.copyOf(out);
  }

  public String address() {
    return host + ":" + port;
  }

  @Override
  public String toString() {
    return id + "@" + address();
  }
}
