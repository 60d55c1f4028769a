package io.kvpipe.common.event;

import java.nio.charset.StandardCharsets;

/**
 * The envelope formats of the change topic, named by the record header {@value #HEADER}. A record without the header
 * was written before it existed (format 1); {@link ChangeEventCodec#decode(byte[])} also tells the two apart by shape.
 */
public enum EnvelopeFormat {
  /** kvpipe's first format (key = raw UTF-8, values base64 strings): read, no longer written. */
  LEGACY("1"),
  /** Debezium's envelope with row structs, key struct and optional Connect JSON schemas (docs/events.md). */
  DEBEZIUM("2");

  /** The record header carrying the format, as UTF-8 text. */
  public static final String HEADER = "kvpipe.format";

  private final String header;

  EnvelopeFormat(String header) {
    this.header = header;
  }

  /** The header's value. */
  public String header() {
    return header;
  }

  public byte[] headerBytes() {
    return header.getBytes(StandardCharsets.UTF_8);
  }

  /** The format a header names; null for no header; an unknown format is malformed (a newer writer, say). */
  public static EnvelopeFormat fromHeader(byte[] value) {
    if (value == null) {
      return null;
    }
    String text = new String(value, StandardCharsets.UTF_8);
    for (EnvelopeFormat f : values()) {
      if (f.header.equals(text)) {
        return f;
      }
    }
    throw new MalformedEventException("unknown envelope format '" + text + "' in header " + HEADER);
  }
}
