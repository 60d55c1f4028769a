package io.kvpipe.common.event;

import java.util.Locale;

/** Why an event exists: a client write, a migration move (never changes logical state), or a snapshot read. */
public enum Origin {
  CLIENT,
  MIGRATION,
  SNAPSHOT;

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
