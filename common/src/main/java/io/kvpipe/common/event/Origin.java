package io.kvpipe.common.event;

import java.util.Locale;

/**
 * Why an event exists: a client write, a migration move (never changes logical state), a snapshot read, or a key's
 * time to live running out (a {@code d} the group made itself, docs/ttl.md).
 */
public enum Origin {
  CLIENT,
  MIGRATION,
  SNAPSHOT,
  EXPIRY;

  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Origin fromCode(String code) {
    for (Origin o : values()) {
      if (o.code().equals(code)) {
        return o;
      }
    }
    throw new MalformedEventException("unknown origin '" + code + "'");
  }
}
