package io.kvpipe.common.event;

/** Debezium's operation codes, as written in the event's {@code op} field. */
public enum Op {
  CREATE("c"),
  UPDATE("u"),
  DELETE("d"),
  /** A snapshot read: the key's live state at the snapshot's log index. */
  READ("r");

  private final String code;

  Op(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }

  public static Op fromCode(String code) {
    for (Op op : values()) {
      if (op.code.equals(code)) {
        return op;
      }
    }
    throw new MalformedEventException("unknown op '" + code + "'");
  }
}
