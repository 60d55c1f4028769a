package io.kvpipe.proxy.resp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Incremental decoder of client commands: RESP arrays of bulk strings ({@code *2\r\n$3\r\nGET\r\n$1\r\nk\r\n}) and
 * inline commands ({@code GET k\r\n}, as typed into telnet). Bytes arrive in arbitrary pieces ({@link #feed});
 * {@link #next} returns each complete command, or null until more bytes come.
 *
 * <p>Memory is bounded by the {@link Limits}: a command over them is read to its end without being kept, and
 * reported as {@link Refused} (the stream stays in step, the connection goes on). Input that leaves no way to find the
 * next command (a bad length, a missing {@code $}, an endless header or inline line) throws {@link ProtocolError}: the
 * caller replies once and closes the connection, as Redis does.
 */
final class RespCodec {
  /** Beyond these a length is not a large command but garbage (Redis's own hard limits). */
  static final int HARD_MAX_ARGS = 1024 * 1024;
  static final long HARD_MAX_BULK = 512L << 20;
  static final int MAX_INLINE_BYTES = 64 * 1024;
  private static final int MAX_HEADER_LINE = 32;

  /**
   * @param maxArgs         most arguments in one command (the name included)
   * @param maxBulkBytes    longest single argument
   * @param maxCommandBytes most argument bytes in one command
   */
  record Limits(int maxArgs, int maxBulkBytes, long maxCommandBytes) {}

  sealed interface Frame permits Command, Refused {}

  /** A complete command; {@code args.get(0)} is its name. */
  record Command(List<byte[]> args) implements Frame {
    String name() {
      return new String(args.get(0), StandardCharsets.UTF_8).toUpperCase(java.util.Locale.ROOT);
    }
  }

  /** A command that was read to its end and dropped because it is over a limit; {@code reason} says which. */
  record Refused(String reason) implements Frame {}

  /** The stream cannot be resynchronised: reply with the message and close. */
  static final class ProtocolError extends Exception {
    ProtocolError(String message) {
      super("Protocol error: " + message, null, false, false);
    }
  }

  private Limits limits;
  private byte[] buf = new byte[16 * 1024];
  private int start;
  private int end;

  // The array command in progress: argsLeft < 0 between commands.
  private int argsLeft = -1;
  private List<byte[]> args;
  private long commandBytes;
  private String refused;
  /** Length of the bulk whose header was read and whose data (+ CRLF) is awaited; -1: a header is next. */
  private int bulkLen = -1;
  /** Bytes of a refused bulk (data + CRLF) still to be discarded. */
  private long skip;

  RespCodec(Limits limits) {
    this.limits = limits;
  }

  /** Takes effect from the next command on (e.g. wider limits once the connection is authenticated). */
  void limits(Limits l) {
    this.limits = l;
  }

  void feed(byte[] src, int off, int len) {
    if (buf.length - end < len) {
      int live = end - start;
      if (buf.length - live >= len && start > 0) {
        System.arraycopy(buf, start, buf, 0, live);
      } else {
        byte[] bigger = new byte[Math.max(buf.length * 2, live + len)];
        System.arraycopy(buf, start, bigger, 0, live);
        buf = bigger;
      }
      start = 0;
      end = live;
    }
    System.arraycopy(src, off, buf, end, len);
    end += len;
    if (start == end) {
      start = 0;
      end = 0;
    }
  }

  /** Bytes held that no returned frame has consumed yet (for tests and bounds). */
  int buffered() {
    return end - start;
  }

  /** True between commands: nothing of a command has been read yet. */
  boolean idle() {
    return argsLeft < 0 && start == end;
  }

  Frame next() throws ProtocolError {
    for (;;) {
      if (skip > 0) {
        int n = (int) Math.min(skip, end - start);
        start += n;
        skip -= n;
        if (skip > 0) {
          return null;
        }
        if (--argsLeft == 0) {
          return finish();
        }
        continue;
      }
      if (argsLeft < 0) {
        if (start == end) {
          return null;
        }
        if (buf[start] != '*') {
          Frame f = inline();
          if (f == INLINE_EMPTY) {
            continue;
          }
          return f;
        }
        int eol = lineEnd(MAX_HEADER_LINE, "invalid multibulk length");
        if (eol < 0) {
          return null;
        }
        long n = number(start + 1, eol, "invalid multibulk length");
        start = eol + 2;
        if (n <= 0) {
          continue; // Redis ignores *0 and *-1
        }
        if (n > HARD_MAX_ARGS) {
          throw new ProtocolError("invalid multibulk length");
        }
        argsLeft = (int) n;
        args = new ArrayList<>((int) Math.min(n, 16));
        commandBytes = 0;
        refused = n > limits.maxArgs() ? "too many arguments: " + n + " (the limit is " + limits.maxArgs() + ")"
            : null;
        continue;
      }
      if (bulkLen < 0) {
        if (start == end) {
          return null;
        }
        if (buf[start] != '$') {
          throw new ProtocolError("expected '$', got '" + printable(buf[start]) + "'");
        }
        int eol = lineEnd(MAX_HEADER_LINE, "invalid bulk length");
        if (eol < 0) {
          return null;
        }
        long len = number(start + 1, eol, "invalid bulk length");
        start = eol + 2;
        if (len < 0 || len > HARD_MAX_BULK) {
          throw new ProtocolError("invalid bulk length");
        }
        if (refused == null && len > limits.maxBulkBytes()) {
          refused = "an argument is " + len + " bytes; the limit is " + limits.maxBulkBytes();
        } else if (refused == null && commandBytes + len > limits.maxCommandBytes()) {
          refused = "the command's arguments add up to more than " + limits.maxCommandBytes() + " bytes";
        }
        if (refused != null) {
          args = null; // what was kept of it is no longer needed
          skip = len + 2;
          continue;
        }
        bulkLen = (int) len;
        commandBytes += len;
        continue;
      }
      if (end - start < bulkLen + 2) {
        return null;
      }
      if (buf[start + bulkLen] != '\r' || buf[start + bulkLen + 1] != '\n') {
        throw new ProtocolError("a bulk string is not followed by CRLF");
      }
      args.add(Arrays.copyOfRange(buf, start, start + bulkLen));
      start += bulkLen + 2;
      bulkLen = -1;
      if (--argsLeft == 0) {
        return finish();
      }
    }
  }

  private Frame finish() {
    Frame f = refused != null ? new Refused(refused) : new Command(args);
    argsLeft = -1;
    args = null;
    refused = null;
    return f;
  }

  /** Marks an empty inline line, which Redis ignores. */
  private static final Frame INLINE_EMPTY = new Refused("");

  private Frame inline() throws ProtocolError {
    int max = (int) Math.min(MAX_INLINE_BYTES, Math.max(1024, limits.maxCommandBytes()));
    int nl = -1;
    for (int i = start; i < end && i - start <= max; i++) {
      if (buf[i] == '\n') {
        nl = i;
        break;
      }
    }
    if (nl < 0) {
      if (end - start > max) {
        throw new ProtocolError("too big inline request");
      }
      return null;
    }
    int lineEnd = nl > start && buf[nl - 1] == '\r' ? nl - 1 : nl;
    List<byte[]> words = InlineSplit.split(buf, start, lineEnd);
    start = nl + 1;
    if (words == null) {
      throw new ProtocolError("unbalanced quotes in request");
    }
    if (words.isEmpty()) {
      return INLINE_EMPTY;
    }
    if (words.size() > limits.maxArgs()) {
      return new Refused("too many arguments: " + words.size() + " (the limit is " + limits.maxArgs() + ")");
    }
    for (byte[] w : words) {
      if (w.length > limits.maxBulkBytes()) {
        return new Refused("an argument is " + w.length + " bytes; the limit is " + limits.maxBulkBytes());
      }
    }
    return new Command(words);
  }

  /** Index of the CR of the CRLF ending the line at {@code start}; -1 if not all of it arrived yet. */
  private int lineEnd(int maxLine, String what) throws ProtocolError {
    int limit = Math.min(end, start + maxLine);
    for (int i = start; i < limit; i++) {
      if (buf[i] == '\n') {
        if (i == start || buf[i - 1] != '\r') {
          throw new ProtocolError(what);
        }
        return i - 1;
      }
    }
    if (end - start >= maxLine) {
      throw new ProtocolError(what);
    }
    return -1;
  }

  private long number(int from, int to, String what) throws ProtocolError {
    if (from >= to) {
      throw new ProtocolError(what);
    }
    boolean negative = buf[from] == '-';
    int i = negative ? from + 1 : from;
    if (i >= to) {
      throw new ProtocolError(what);
    }
    long n = 0;
    for (; i < to; i++) {
      byte c = buf[i];
      if (c < '0' || c > '9' || n > (Long.MAX_VALUE - 9) / 10) {
        throw new ProtocolError(what);
      }
      n = n * 10 + (c - '0');
    }
    return negative ? -n : n;
  }

  private static String printable(byte b) {
    return b >= 32 && b < 127 ? Character.toString((char) b) : String.format("\\x%02x", b & 0xff);
  }
}
