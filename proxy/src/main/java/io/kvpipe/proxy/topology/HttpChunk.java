package io.kvpipe.proxy.topology;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Bytes framed as one chunk of HTTP/1.1's chunked transfer coding (RFC 9112 7.1): the length in hex, CRLF, the
 * bytes, CRLF. Encoded once per SSE frame so the fan-out writes the same bytes to every subscriber's connection.
 */
final class HttpChunk {
  private HttpChunk() {}

  /**
   * The chunk holding {@code data}, read-only; null for no data (a chunk of length 0 is the last chunk: it would end
   * the stream).
   */
  static ByteBuffer of(byte[] data) {
    if (data.length == 0) {
      return null;
    }
    byte[] head = (Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] chunk = new byte[head.length + data.length + 2];
    System.arraycopy(head, 0, chunk, 0, head.length);
    System.arraycopy(data, 0, chunk, head.length, data.length);
    chunk[chunk.length - 2] = '\r';
    chunk[chunk.length - 1] = '\n';
    return ByteBuffer.wrap(chunk).asReadOnlyBuffer();
  }
}
