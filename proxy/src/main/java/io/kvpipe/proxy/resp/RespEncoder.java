package io.kvpipe.proxy.resp;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Writes {@link RespValue}s in RESP2 or RESP3 into a growing buffer; the connection flushes it to the socket. */
final class RespEncoder {
  private static final byte[] CRLF = {'\r', '\n'};

  private final Buf out = new Buf();

  /** A ByteArrayOutputStream whose bytes can be handed to a stream without a copy. */
  private static final class Buf extends ByteArrayOutputStream {
    Buf() {
      super(8192);
    }

    void drainTo(java.io.OutputStream os) throws java.io.IOException {
      os.write(buf, 0, count);
      count = 0;
    }
  }

  void write(RespValue v, int protocol) {
    switch (v) {
      case RespValue.Simple s -> line('+', s.text());
      case RespValue.Error e -> line('-', e.text());
      case RespValue.Int i -> line(':', Long.toString(i.value()));
      case RespValue.Bulk b -> {
        line('$', Integer.toString(b.bytes().length));
        out.writeBytes(b.bytes());
        out.writeBytes(CRLF);
      }
      case RespValue.Null n -> out.writeBytes(protocol >= 3 ? "_\r\n".getBytes(StandardCharsets.US_ASCII)
          : "$-1\r\n".getBytes(StandardCharsets.US_ASCII));
      case RespValue.NullArray n -> out.writeBytes(protocol >= 3 ? "_\r\n".getBytes(StandardCharsets.US_ASCII)
          : "*-1\r\n".getBytes(StandardCharsets.US_ASCII));
      case RespValue.Array a -> {
        line('*', Integer.toString(a.items().size()));
        for (RespValue item : a.items()) {
          write(item, protocol);
        }
      }
      case RespValue.MapValue m -> {
        int n = m.keysAndValues().size();
        if (protocol >= 3) {
          line('%', Integer.toString(n / 2));
        } else {
          line('*', Integer.toString(n));
        }
        for (RespValue item : m.keysAndValues()) {
          write(item, protocol);
        }
      }
    }
  }

  /** Simple strings and errors may not contain CR or LF: a message that does would break the framing. */
  private void line(char type, String text) {
    out.write(type);
    out.writeBytes(text.replace('\r', ' ').replace('\n', ' ').getBytes(StandardCharsets.UTF_8));
    out.writeBytes(CRLF);
  }

  int size() {
    return out.size();
  }

  void drainTo(java.io.OutputStream os) throws java.io.IOException {
    out.drainTo(os);
  }

  /** For tests: the bytes written so far. */
  byte[] bytes() {
    return out.toByteArray();
  }
}
