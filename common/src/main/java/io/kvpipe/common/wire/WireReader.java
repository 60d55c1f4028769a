package io.kvpipe.common.wire;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Bounds-checked reader for {@link WireCodec}. Every length is checked against the bytes actually left before
 * anything is allocated, so garbage input fails fast with MALFORMED_REQUEST instead of exhausting memory.
 */
final class WireReader {
  private final ByteBuffer in;

  WireReader(byte[] data) {
    in = ByteBuffer.wrap(data);
  }

  WireReader(ByteBuffer data) {
    in = data.slice();
  }

  static KvException malformed(String why) {
    return new KvException(ErrorCode.MALFORMED_REQUEST, "malformed message: " + why);
  }

  private void need(int n) {
    if (in.remaining() < n) {
      throw malformed("truncated (needed " + n + " more bytes, " + in.remaining() + " left)");
    }
  }

  int u8() {
    need(1);
    return in.get() & 0xff;
  }

  int i32() {
    need(4);
    return in.getInt();
  }

  long i64() {
    need(8);
    return in.getLong();
  }

  boolean bool() {
    int b = u8();
    if (b > 1) {
      throw malformed("bad flag " + b);
    }
    return b == 1;
  }

  byte[] bytesOrNull() {
    int n = i32();
    if (n == -1) {
      return null;
    }
    if (n < 0) {
      throw malformed("negative length " + n);
    }
    need(n);
    byte[] b = new byte[n];
    in.get(b);
    return b;
  }

  byte[] bytes() {
    byte[] b = bytesOrNull();
    if (b == null) {
      throw malformed("missing byte string");
    }
    return b;
  }

  /** A {@link RequestId} as {@link WireWriter#ascii} wrote it; anything but a plain id is malformed. */
  String requestId() {
    int n = u8();
    if (n < 1 || n > RequestId.MAX_LENGTH) {
      throw malformed("request id of " + n + " characters (1.." + RequestId.MAX_LENGTH + ")");
    }
    need(n);
    int at = in.position();
    for (int i = 0; i < n; i++) {
      if (!RequestId.plain(in.get(at + i))) {
        throw malformed("request id with a character outside [A-Za-z0-9._:-]");
      }
    }
    String id;
    if (in.hasArray()) {
      // Straight from the message's bytes (a batch's ops are read from arrays): one copy, into the String.
      id = new String(in.array(), in.arrayOffset() + at, n, StandardCharsets.ISO_8859_1);
    } else {
      byte[] b = new byte[n];
      in.get(at, b);
      id = new String(b, StandardCharsets.ISO_8859_1);
    }
    in.position(at + n);
    return id;
  }

  String string() {
    return new String(bytes(), StandardCharsets.UTF_8);
  }

  /** A list count, bounded by {@code max} and by the bytes left ({@code minItemBytes} each). */
  int count(int max, int minItemBytes) {
    int n = i32();
    if (n < 0 || n > max) {
      throw malformed("count " + n + " outside 0.." + max);
    }
    if ((long) n * minItemBytes > in.remaining()) {
      throw malformed("count " + n + " exceeds the message size");
    }
    return n;
  }

  HashRanges ranges() {
    int n = count(1 << 20, 16);
    List<HashRange> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long start = i64();
      long end = i64();
      try {
        list.add(new HashRange(start, end));
      } catch (IllegalArgumentException e) {
        throw malformed(e.getMessage());
      }
    }
    return HashRanges.of(list);
  }

  Entry entryOrNull() {
    int tag = u8();
    return switch (tag) {
      case 0 -> null;
      case 1 -> new Entry(bytes(), bytesOrNull(), i64());
      case 2 -> {
        Entry e = new Entry(bytes(), bytesOrNull(), i64(), i64());
        if (e.expiresAtMs() <= 0) {
          throw malformed("entry with TTL deadline " + e.expiresAtMs());
        }
        yield e;
      }
      default -> throw malformed("bad entry tag " + tag);
    };
  }

  ScanCursor cursorOrNull() {
    if (!bool()) {
      return null;
    }
    return new ScanCursor(i64(), bytes());
  }

  void expectEnd() {
    if (in.hasRemaining()) {
      throw malformed(in.remaining() + " trailing bytes");
    }
  }
}
