package io.kvpipe.node.raft;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One idle TCP connection to each leader's Raft port, held to hear the leader's process go away: when a process dies,
 * its kernel closes its sockets at once, so the connection ends within a millisecond of a kill -9, long before any
 * heartbeat is missed. An ended line proves nothing by itself (the server may close an idle connection that never
 * spoke, e.g. a TLS handshake that never came): the listener is told, and {@link DeadLeaderWatch} probes the port.
 * Nothing is ever sent on a line.
 *
 * <p>Threads: one daemon thread owns the selector and every channel; {@link #hold} only publishes the wanted set of
 * addresses and wakes it. The listener runs on that thread and must not block.
 */
final class LeaderLines implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderLines.class);
  /** A line that ended within this long of its opening is not opened again before it: no reconnect loop. */
  static final long REOPEN_PAUSE_NANOS = 1_000_000_000L;

  private final Consumer<String> onLost;
  private final Selector selector;
  private final AtomicReference<Set<String>> wanted = new AtomicReference<>(Set.of());
  /** Selector thread only. */
  private final Map<String, SelectionKey> lines = new HashMap<>();
  /** Selector thread only: when a quickly ended line may be opened again. */
  private final Map<String, Long> pausedUntil = new HashMap<>();
  /** Per address, when its line ended last (System.nanoTime); read by the watch's thread. */
  private final Map<String, Long> lostAt = new ConcurrentHashMap<>();
  private final ByteBuffer sink = ByteBuffer.allocate(4096);
  private final Thread thread;
  private volatile boolean closed;

  /** @param onLost told the address of a line that ended (or could not be opened) */
  LeaderLines(Consumer<String> onLost) {
    this.onLost = onLost;
    try {
      this.selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a selector for the leader lines", e);
    }
    this.thread = Thread.ofPlatform().daemon().name("kvpipe-leader-lines").unstarted(this::run);
  }

  LeaderLines start() {
    thread.start();
    return this;
  }

  /** The leaders' addresses ({@code host:port}) to hold a line to; lines to any other address are closed. */
  void hold(Set<String> addresses) {
    if (!addresses.equals(wanted.getAndSet(Set.copyOf(addresses)))) {
      selector.wakeup();
    }
  }

  /** Milliseconds since the line to {@code address} last ended, or {@link Long#MAX_VALUE} if it never did. */
  long msSinceLost(String address, long nowNanos) {
    Long at = lostAt.get(address);
    return at == null ? Long.MAX_VALUE : Math.max(0, (nowNanos - at) / 1_000_000);
  }

  private void run() {
    while (!closed) {
      try {
        reconcile();
        selector.select(250);
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey key = it.next();
          it.remove();
          service(key);
        }
      } catch (ClosedSelectorException e) {
        break;
      } catch (IOException | RuntimeException e) {
        // A failed select or listener: the lines are re-checked on the next round, the thread must live on.
        LOG.warn("leader lines: {}", e.toString());
      }
    }
    lines.values().forEach(LeaderLines::closeQuietly);
    lines.clear();
  }

  /** Opens lines to wanted addresses that have none, closes lines no longer wanted. */
  private void reconcile() {
    Set<String> want = wanted.get();
    long now = System.nanoTime();
    lines.entrySet().removeIf(e -> {
      if (want.contains(e.getKey())) {
        return false;
      }
      closeQuietly(e.getValue());
      return true;
    });
    pausedUntil.values().removeIf(until -> until - now <= 0);
    for (String address : want) {
      if (!lines.containsKey(address) && !pausedUntil.containsKey(address)) {
        open(address, now);
      }
    }
  }

  private void open(String address, long now) {
    InetSocketAddress target = parse(address);
    if (target == null) {
      return;
    }
    SocketChannel ch = null;
    try {
      ch = SocketChannel.open();
      ch.configureBlocking(false);
      boolean connected = ch.connect(target);
      SelectionKey key = ch.register(selector, connected ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT,
          new Line(address, now));
      lines.put(address, key);
    } catch (IOException e) {
      closeQuietly(ch);
      lost(address, now);
    } catch (RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  private void service(SelectionKey key) {
    Line line = (Line) key.attachment();
    SocketChannel ch = (SocketChannel) key.channel();
    try {
      if (key.isValid() && key.isConnectable()) {
        ch.finishConnect();
        key.interestOps(SelectionKey.OP_READ);
        return;
      }
      if (key.isValid() && key.isReadable()) {
        sink.clear();
        if (ch.read(sink) >= 0) {
          return;
        }
      }
    } catch (IOException e) {
      // Refused, reset: the line has ended, which is what we are here to notice.
    }
    closeQuietly(key);
    lines.remove(line.address(), key);
    lost(line.address(), line.openedNanos());
  }

  private void lost(String address, long openedNanos) {
    long now = System.nanoTime();
    lostAt.put(address, now);
    if (now - openedNanos < REOPEN_PAUSE_NANOS) {
      pausedUntil.put(address, now + REOPEN_PAUSE_NANOS);
    }
    onLost.accept(address);
  }

  private static void closeQuietly(SelectionKey key) {
    key.cancel();
    closeQuietly((SocketChannel) key.channel());
  }

  private static void closeQuietly(SocketChannel ch) {
    if (ch == null) {
      return;
    }
    try {
      ch.close();
    } catch (IOException e) {
      // Closing a line we no longer want: nothing is lost if the close itself fails.
      LOG.debug("closing a leader line", e);
    }
  }

  static InetSocketAddress parse(String address) {
    int colon = address.lastIndexOf(':');
    if (colon <= 0) {
      return null;
    }
    try {
      return new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      selector.close();
    } catch (IOException e) {
      LOG.debug("closing the leader lines' selector", e);
    }
  }

  private record Line(String address, long openedNanos) {}
}
