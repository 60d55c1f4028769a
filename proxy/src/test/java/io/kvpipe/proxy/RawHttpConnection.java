package io.kvpipe.proxy;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A minimal HTTP/1.1 keep-alive client connection for the benchmark's load generator: one request at a time, blocking
 * I/O (run it on a virtual thread), Content-Length bodies only. The JDK's HttpClient spends more CPU per request than
 * the proxy does, which on a 2-core box would measure the load generator rather than the proxy. Not thread-safe.
 */
final class RawHttpConnection implements AutoCloseable {
  private final String host;
  private final int port;
  private Socket socket;
  private OutputStream out;
  private InputStream in;
  private final byte[] line = new byte[8192];

  RawHttpConnection(String host, int port) {
    this.host = host;
    this.port = port;
  }

  private void connect() throws IOException {
    socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress(host, port), 5000);
    socket.setSoTimeout(30_000);
    out = socket.getOutputStream();
    in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
  }

  /**
   * Sends one request (head = request line + headers without the final blank line) and returns the status. A
   * connection the server closed while idle is reopened once.
   */
  int exchange(byte[] head, byte[] body) throws IOException {
    boolean fresh = socket == null;
    if (fresh) {
      connect();
    }
    try {
      return send(head, body);
    } catch (IOException e) {
      close();
      socket = null;
      if (fresh) {
        throw e;
      }
      connect();
      return send(head, body);
    }
  }

  private int send(byte[] head, byte[] body) throws IOException {
    out.write(head);
    out.write(("Content-Length: " + (body == null ? 0 : body.length) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    if (body != null) {
      out.write(body);
    }
    out.flush();
    String status = readLine();
    int code = Integer.parseInt(status.substring(9, 12));
    long length = 0;
    String h;
    while (!(h = readLine()).isEmpty()) {
      if (h.regionMatches(true, 0, "Content-Length:", 0, 15)) {
        length = Long.parseLong(h.substring(15).trim());
      }
    }
    for (long skipped = 0; skipped < length; ) {
      long n = in.skip(length - skipped);
      if (n <= 0) {
        if (in.read() < 0) {
          throw new IOException("connection closed mid-body");
        }
        n = 1;
      }
      skipped += n;
    }
    return code;
  }

  private String readLine() throws IOException {
    int n = 0;
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new IOException("connection closed");
      }
      if (c != '\r' && n < line.length) {
        line[n++] = (byte) c;
      }
    }
    return new String(line, 0, n, StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    if (socket != null) {
      socket.close();
    }
  }
}
