package io.kvpipe.proxy.resp;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A reply, independent of the protocol version: {@link RespEncoder} writes it as RESP2 or RESP3 depending on what the
 * connection had negotiated (HELLO) when the command was read, so a reply computed on another thread is still
 * encoded in the version its command was issued under.
 */
public sealed interface RespValue {
  RespValue OK = new Simple("OK");
  RespValue NULL = new Null();
  RespValue NULL_ARRAY = new NullArray();

  record Simple(String text) implements RespValue {}

  /** {@code text} starts with the error code word, e.g. {@code ERR ...} or {@code WRONGPASS ...}. */
  record Error(String text) implements RespValue {}

  record Int(long value) implements RespValue {}

  record Bulk(byte[] bytes) implements RespValue {}

  /** A missing value: {@code $-1} in RESP2, {@code _} in RESP3. */
  record Null() implements RespValue {}

  record Array(List<RespValue> items) implements RespValue {}

  /** No array (an EXEC whose WATCHed keys changed): {@code *-1} in RESP2, {@code _} in RESP3. */
  record NullArray() implements RespValue {}

  /** A map in RESP3 ({@code %}); a flat array of key, value, key, value in RESP2. */
  record MapValue(List<RespValue> keysAndValues) implements RespValue {}

  static RespValue bulk(String s) {
    return new Bulk(s.getBytes(StandardCharsets.UTF_8));
  }

  static RespValue error(String text) {
    return new Error(text);
  }
}
