package io.kvpipe.testsupport.load;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Plain HTTP/1.1 requests for open-loop load, over a pool of keep-alive connections, each carrying one request at a
 * time, with blocking I/O on a virtual thread per request. Far cheaper per request than {@code java.net.http}, whose
 * asynchronous pipeline took the largest share of the box (24% of a core at ~460 writes/s, more than any kv-node) in
 * bench-pipeline, where the load generator shares two cores with the system it measures. Understands what the proxy
 * answers: a status line, headers, and a body sized by {@code Content-Length} or chunked. No TLS, no redirects.
 * Thread-safe.
 */
public final class KeepAliveHttp implements AutoCloseable {
  /** A response: status, the {@code X-Kv-Version} header (0 when absent) and the body. */
  public record Reply(int status, long version, byte[] body) {}

  /**
   * A pooled connection idle longer than this is closed, not reused: the server may have closed it already (the proxy
   * after its idle timeout, 30 s by default), and a request written into such a connection reads only its end.
   */
  private static final long MAX_IDLE_NANOS = 2_000_000_000L;

  private final String host;
  private final int port;
  private final Duration timeout;
  private final byte[] fixedHeaders;
  private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

  /** @param base {@code http://host:port}; {@code token} null: no Authorization header */
  public KeepAliveHttp(String base, String token, Duration timeout) {
    URI u = URI.create(base);
    if (!"http".equals(u.getScheme())) {
      throw new IllegalArgumentException("plain http:// only, got " + base);
    }
    this.host = u.getHost();
    this.port = u.getPort() < 0 ? 80 : u.getPort();
    this.timeout = timeout;
    this.fixedHeaders = ("Host: " + host + ":" + port + "\r\n"
        + (token == null ? "" : "Authorization: Bearer " + token + "\r\n")).getBytes(StandardCharsets.US_ASCII);
  }

  /** Sends {@code method path} with {@code body} (null: none); completes with the reply or a transport failure. */
  public CompletableFuture<Reply> send(String method, String path, byte[] body) {
    CompletableFuture<Reply> result = new CompletableFuture<>();
    threads.execute(() -> {
      Connection c = freshIdle();
      try {
        if (c == null) {
          c = new Connection();
        }
        Reply r = c.exchange(method, path, body);
        if (c.reusable) {
          c.idleSince = System.nanoTime();
          idle.addFirst(c);
        } else {
          c.close();
        }
        result.complete(r);
      } catch (IOException | RuntimeException e) {
        if (c != null) {
          c.close();
        }
        result.completeExceptionally(e);
      }
    });
    return result;
  }

  /** The most recently used idle connection still young enough to reuse; older ones are closed on the way. */
  private Connection freshIdle() {
    Connection c;
    while ((c = idle.pollFirst()) != null) {
      if (System.nanoTime() - c.idleSince < MAX_IDLE_NANOS) {
        return c;
      }
      c.close();
    }
    return null;
  }

  @Override
  public void close() {
    threads.shutdownNow();
    Connection c;
    while ((c = idle.pollFirst()) != null) {
      c.close();
    }
  }

  /** One keep-alive connection; used by one request at a time (taken from and returned to the pool). */
  private final class Connection {
    private final Socket socket = new Socket();
    private final InputStream in;
    private final OutputStream out;
    private final ByteArrayOutputStream request = new ByteArrayOutputStream(512);
    boolean reusable = true;
    long idleSince;

    Connection() throws IOException {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
      socket.setSoTimeout((int) timeout.toMillis());
      in = new BufferedInputStream(socket.getInputStream(), 8192);
      out = socket.getOutputStream();
    }

    Reply exchange(String method, String path, byte[] body) throws IOException {
      request.reset();
      request.writeBytes((method + " " + path + " HTTP/1.1\r\n").getBytes(StandardCharsets.US_ASCII));
      request.writeBytes(fixedHeaders);
      if (body != null) {
        request.writeBytes(("Content-Type: application/octet-stream\r\nContent-Length: " + body.length + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        request.writeBytes(body);
      } else {
        request.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      request.writeTo(out);
      out.flush();

      String status = line();
      if (!status.startsWith("HTTP/1.")) {
        throw new IOException("not an HTTP response: " + status);
      }
      int code = Integer.parseInt(status.substring(9, 12));
      long length = -1;
      boolean chunked = false;
      long version = 0;
      for (String h = line(); !h.isEmpty(); h = line()) {
        int colon = h.indexOf(':');
        if (colon < 0) {
          continue;
        }
        String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = h.substring(colon + 1).trim();
        switch (name) {
          case "content-length" -> length = Long.parseLong(value);
          case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
          case "connection" -> reusable &= !value.equalsIgnoreCase("close");
          case "x-kv-version" -> version = Long.parseLong(value);
          default -> { }
        }
      }
      byte[] payload;
      if (chunked) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int size = chunkSize(); size > 0; size = chunkSize()) {
          b.writeBytes(in.readNBytes(size));
          line();
        }
        while (!line().isEmpty()) {
          // trailers: none expected, skipped
        }
        payload = b.toByteArray();
      } else if (length >= 0) {
        payload = in.readNBytes((int) length);
        if (payload.length < length) {
          throw new IOException("connection closed " + payload.length + " bytes into a " + length + "-byte body");
        }
      } else {
        payload = in.readAllBytes(); // no length: the body ends with the connection
        reusable = false;
      }
      return new Reply(code, version, payload);
    }

    private int chunkSize() throws IOException {
      String l = line();
      int semi = l.indexOf(';');
      return Integer.parseInt((semi < 0 ? l : l.substring(0, semi)).trim(), 16);
    }

    /** One CRLF-terminated line, without the CRLF. */
    private String line() throws IOException {
      StringBuilder s = new StringBuilder(64);
      int b;
      while ((b = in.read()) != '\n') {
        if (b < 0) {
          throw new IOException("connection closed mid-response");
        }
        if (b != '\r') {
          s.append((char) b);
        }
      }
      return s.toString();
    }

    void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // closing a connection already failed or not reusable: nothing left to do with it
      }
    }
  }
}
