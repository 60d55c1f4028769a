package io.kvpipe.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Many Server-Sent Events streams read over plain NIO by a few selector threads, for benchmarks. Each frame's arrival
 * time is taken right after the read that brought it, before any parsing or hand-off: with the JDK HttpClient (its one
 * selector thread, then an executor hop and a blocking line stream per subscriber) the bench measured its own queueing
 * for 2,000 streams, not the server's. Parses HTTP/1.1 (chunked or not) and reports each {@code id:} line and each
 * {@code event: snapshot} line; the rest of the frame is skipped.
 */
final class SseStreams implements AutoCloseable {
  interface Listener {
    /** An {@code id: <version>} line, read at {@code nanos} (System.nanoTime). */
    void id(long version, long nanos);

    /** An {@code event: snapshot} line. */
    void snapshot();
  }

  private final List<Selector> selectors = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final List<SocketChannel> channels = new ArrayList<>();
  private final AtomicInteger ended = new AtomicInteger();
  private final Listener listener;
  private volatile boolean closing;

  SseStreams(Listener listener) {
    this.listener = listener;
  }

  /** CPU time (ns) the reader threads have used so far. */
  long readerCpuNanos() {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (Thread t : threads) {
      sum += Math.max(0, mx.getThreadCpuTime(t.threadId()));
    }
    return sum;
  }

  /** Opens {@code n} streams of {@code GET path} (connects and requests here, then reads on {@code threads} threads). */
  void open(InetSocketAddress server, String path, String bearer, int n, int threadCount) throws IOException {
    byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: " + server.getHostString() + ":" + server.getPort()
        + "\r\nAuthorization: Bearer " + bearer + "\r\nAccept: text/event-stream\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    for (int t = 0; t < threadCount; t++) {
      selectors.add(Selector.open());
    }
    for (int i = 0; i < n; i++) {
      SocketChannel ch = SocketChannel.open();
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ch.connect(server);
      ByteBuffer req = ByteBuffer.wrap(request);
      while (req.hasRemaining()) {
        ch.write(req);
      }
      ch.configureBlocking(false);
      ch.register(selectors.get(i % threadCount), SelectionKey.OP_READ, new Stream());
      channels.add(ch);
    }
    for (int t = 0; t < threadCount; t++) {
      Selector sel = selectors.get(t);
      threads.add(Thread.ofPlatform().daemon().name("sse-reader-" + t).start(() -> loop(sel)));
    }
  }

  /** Streams that ended (closed by the server or failed) while not closing. */
  int ended() {
    return ended.get();
  }

  private void loop(Selector sel) {
    ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
    byte[] bytes = new byte[buf.capacity()];
    while (!closing) {
      try {
        // The action form of select: each ready key is read as epoll reports it, timed at its read, with no selected-key
        // set to fill, iterate and clear per wake-up (that set's upkeep was ~5% of these threads' CPU, taken from the
        // same two cores the proxy's fan-out runs on).
        sel.select(k -> read(k, buf, bytes));
      } catch (IOException | RuntimeException e) {
        if (!closing) {
          System.out.println("   !! SSE reader failed: " + e);
        }
        return;
      }
    }
  }

  private void read(SelectionKey k, ByteBuffer buf, byte[] bytes) {
    SocketChannel ch = (SocketChannel) k.channel();
    Stream s = (Stream) k.attachment();
    int r;
    do {
      buf.clear();
      try {
        r = ch.read(buf);
      } catch (IOException e) {
        r = -1;
      }
      if (r > 0) {
        long now = System.nanoTime();
        buf.flip();
        buf.get(bytes, 0, r);
        s.feed(bytes, r, now);
      }
    } while (r == buf.capacity());
    if (r < 0) {
      k.cancel();
      try {
        ch.close();
      } catch (IOException ignored) {
        // ended anyway
      }
      if (!closing) {
        ended.incrementAndGet();
      }
    }
  }

  /** One connection's parser: status line and headers, then the (possibly chunked) body split into lines. */
  private final class Stream {
    private static final int HEADERS = 0;
    private static final int CHUNK_SIZE = 1;
    private static final int CHUNK_DATA = 2;
    private static final int CHUNK_END = 3;
    private static final int IDENTITY = 4;

    private int state = HEADERS;
    private boolean chunked;
    private long chunkLeft;
    /** The current line's first bytes (enough to recognise id: and event: lines; data lines may be long). */
    private final byte[] line = new byte[64];
    private int lineLen;
    private int lineTotal;

    void feed(byte[] b, int n, long now) {
      int i = 0;
      while (i < n) {
        switch (state) {
          case HEADERS, CHUNK_SIZE, CHUNK_END -> {
            byte c = b[i++];
            if (c == '\n') {
              headerLine(now);
            } else if (c != '\r') {
              append(c);
            }
          }
          case CHUNK_DATA -> {
            int take = (int) Math.min(chunkLeft, n - i);
            body(b, i, take, now);
            i += take;
            chunkLeft -= take;
            if (chunkLeft == 0) {
              state = CHUNK_END;
            }
          }
          default -> {
            body(b, i, n - i, now);
            i = n;
          }
        }
      }
    }

    private void headerLine(long now) {
      String text = new String(line, 0, lineLen, StandardCharsets.ISO_8859_1);
      boolean empty = lineTotal == 0;
      lineLen = 0;
      lineTotal = 0;
      switch (state) {
        case HEADERS -> {
          if (text.startsWith("HTTP/1.1 ") && !text.startsWith("HTTP/1.1 200")) {
            throw new IllegalStateException("subscribe answered " + text);
          }
          if (text.toLowerCase(java.util.Locale.ROOT).startsWith("transfer-encoding: chunked")) {
            chunked = true;
          }
          if (empty) {
            state = chunked ? CHUNK_SIZE : IDENTITY;
          }
        }
        case CHUNK_SIZE -> {
          if (!empty) {
            int semi = text.indexOf(';');
            chunkLeft = Long.parseLong((semi < 0 ? text : text.substring(0, semi)).trim(), 16);
            state = chunkLeft == 0 ? HEADERS : CHUNK_DATA; // 0: the last chunk (trailers follow)
          }
        }
        case CHUNK_END -> state = CHUNK_SIZE;
        default -> throw new IllegalStateException("state " + state);
      }
    }

    private void append(byte c) {
      if (lineLen < line.length) {
        line[lineLen++] = c;
      }
      lineTotal++;
    }

    private void body(byte[] b, int from, int len, long now) {
      for (int i = from; i < from + len; i++) {
        byte c = b[i];
        if (c == '\n') {
          bodyLine(now);
        } else if (c != '\r') {
          append(c);
        }
      }
    }

    private void bodyLine(long now) {
      if (lineLen > 4 && line[0] == 'i' && line[1] == 'd' && line[2] == ':' && line[3] == ' ') {
        long v = 0;
        for (int i = 4; i < lineLen && line[i] >= '0' && line[i] <= '9'; i++) {
          v = v * 10 + (line[i] - '0');
        }
        listener.id(v, now);
      } else if (lineLen == 15 && new String(line, 0, 15, StandardCharsets.US_ASCII).equals("event: snapshot")) {
        listener.snapshot();
      }
      lineLen = 0;
      lineTotal = 0;
    }
  }

  @Override
  public void close() {
    closing = true;
    for (SocketChannel ch : channels) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    for (Selector s : selectors) {
      s.wakeup();
    }
    for (Thread t : threads) {
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (Selector s : selectors) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }
}
