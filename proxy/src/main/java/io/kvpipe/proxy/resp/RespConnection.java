package io.kvpipe.proxy.resp;

import io.kvpipe.proxy.http.RequestIds;
import io.kvpipe.proxy.ProxyMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, on two virtual threads. The reader decodes commands and issues each at once (in the order
 * {@link PipelineOrder} allows), so a pipeline's commands are in flight together and share the groups' write batches;
 * the writer sends the replies in command order, flushing when no further reply is ready. At most
 * {@code maxPipeline} commands and {@code maxPipelineBytes} of commands and replies are held per connection: beyond,
 * the reader stops reading (TCP pushes back on the client).
 */
final class RespConnection implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(RespConnection.class);

  /** A reply to send, encoded in the protocol its command was read under; {@code close} after sending it. */
  private record Pending(CompletableFuture<RespValue> reply, int protocol, boolean close, long cost) {}

  private static final Pending END = new Pending(null, 2, true, 0);

  private final Socket socket;
  private final RespCommands commands;
  private final RespSession session;
  private final RespLimits limits;
  private final ProxyMetrics metrics;
  private final BlockingQueue<Pending> queue;
  private final ByteBudget budget;
  private final PipelineOrder order = new PipelineOrder();

  RespConnection(Socket socket, long id, RespCommands commands, RespLimits limits, ProxyMetrics metrics) {
    this.socket = socket;
    this.commands = commands;
    this.session = new RespSession(id);
    this.limits = limits;
    this.metrics = metrics;
    this.queue = new ArrayBlockingQueue<>(limits.maxPipeline() + 1);
    this.budget = new ByteBudget(limits.maxPipelineBytes());
  }

  @Override
  public void run() {
    Thread writer = Thread.ofVirtual().name("resp-write-" + session.id).start(this::writeLoop);
    try {
      read();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        queue.put(END);
        writer.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      closeQuietly();
    }
  }

  private void read() throws InterruptedException {
    RespCodec codec = new RespCodec(limits.beforeAuth());
    byte[] chunk = new byte[16 * 1024];
    try {
      socket.setSoTimeout((int) limits.authTimeout().toMillis());
      InputStream in = socket.getInputStream();
      boolean wasAuthenticated = false;
      while (true) {
        int n = in.read(chunk);
        if (n < 0) {
          return;
        }
        codec.feed(chunk, 0, n);
        RespCodec.Frame f;
        while ((f = codec.next()) != null) {
          if (f instanceof RespCodec.Refused r) {
            metrics.rejected("resp_too_large");
            enqueue(CompletableFuture.completedFuture(new RespValue.Error("ERR " + r.reason())), false, 0);
            continue;
          }
          RespCodec.Command c = (RespCodec.Command) f;
          if (!handle(c)) {
            return;
          }
          if (session.authenticated && !wasAuthenticated) {
            wasAuthenticated = true;
            codec.limits(limits.afterAuth());
            socket.setSoTimeout(0);
          }
        }
      }
    } catch (RespCodec.ProtocolError e) {
      metrics.rejected("resp_protocol_error");
      enqueue(CompletableFuture.completedFuture(new RespValue.Error("ERR " + e.getMessage())), true, 0);
    } catch (SocketTimeoutException e) {
      enqueue(CompletableFuture.completedFuture(new RespValue.Error("ERR no AUTH within "
          + limits.authTimeout().toMillis() + " ms; closing")), true, 0);
    } catch (IOException e) {
      LOG.debug("RESP connection {} ended: {}", session.id, e.toString());
    }
  }

  /** Runs one command; false when the connection is to close after its reply. */
  private boolean handle(RespCodec.Command c) throws InterruptedException {
    long cost = 64;
    for (byte[] a : c.args()) {
      cost += a.length;
    }
    long startNanos = System.nanoTime();
    String metricName = RespCommands.metricName(c.args().get(0));
    // No header to take an id from or answer it in: a new one names the command in the proxy's and nodes' logs.
    String requestId = RequestIds.newId();
    RespCommands.Outcome outcome = RequestIds.with(requestId, () -> commands.prepare(session, c.args()));
    if (outcome instanceof RespCommands.Now now) {
      if (now.reply() instanceof RespValue.Error e && e.text().startsWith("WRONGPASS")) {
        metrics.rejected("resp_auth_failed");
      }
      metrics.respCommand(metricName, !(now.reply() instanceof RespValue.Error), System.nanoTime() - startNanos);
      enqueue(CompletableFuture.completedFuture(now.reply()), now.close(), 0);
      return !now.close();
    }
    RespCommands.Call call = (RespCommands.Call) outcome;
    budget.take(cost);
    CompletableFuture<?> deps = order.dependencies(call.keys());
    CompletableFuture<RespValue> reply = deps == null ? start(call, requestId)
        : deps.handle((v, err) -> null).thenCompose(v -> start(call, requestId));
    // Charged once known, so a pipeline of large replies the client does not read stops further commands.
    CompletableFuture<RespValue> charged = reply.whenComplete((v, err) -> {
      budget.add(v == null ? 0 : size(v));
      metrics.respCommand(metricName, err == null && !(v instanceof RespValue.Error), System.nanoTime() - startNanos);
    });
    order.issued(call.keys(), charged);
    enqueue(charged, false, cost);
    return true;
  }

  private static CompletableFuture<RespValue> start(RespCommands.Call call, String requestId) {
    return RequestIds.with(requestId, () -> {
      try {
        return call.run().get();
      } catch (RuntimeException e) {
        return CompletableFuture.<RespValue>failedFuture(e);
      }
    });
  }

  private void enqueue(CompletableFuture<RespValue> reply, boolean close, long cost) throws InterruptedException {
    queue.put(new Pending(reply, session.protocol, close, cost));
  }

  private void writeLoop() {
    RespEncoder encoder = new RespEncoder();
    boolean open = true;
    OutputStream out = null;
    try {
      out = socket.getOutputStream();
    } catch (IOException e) {
      open = false;
    }
    while (true) {
      Pending p;
      try {
        p = queue.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        closeQuietly();
        return;
      }
      if (p == END) {
        flush(encoder, out, open);
        return;
      }
      RespValue v;
      long replyCharge = 0;
      try {
        v = p.reply().join();
        replyCharge = p.cost() > 0 ? size(v) : 0; // what handle() charged when the reply completed
      } catch (CompletionException | java.util.concurrent.CancellationException e) {
        v = RespErrors.of(e);
      }
      budget.give(p.cost() + replyCharge);
      if (!open) {
        continue; // the client is gone: drain what the reader issued, so it never waits on a full queue
      }
      encoder.write(v, p.protocol());
      if (p.close() || queue.isEmpty() || encoder.size() >= 64 * 1024) {
        open = flush(encoder, out, open);
      }
      if (p.close()) {
        closeQuietly();
        open = false;
      }
    }
  }

  private boolean flush(RespEncoder encoder, OutputStream out, boolean open) {
    if (!open || encoder.size() == 0) {
      return open;
    }
    try {
      encoder.drainTo(out);
      out.flush();
      return true;
    } catch (IOException e) {
      LOG.debug("RESP connection {}: write failed: {}", session.id, e.toString());
      closeQuietly();
      return false;
    }
  }

  /** Bytes a reply holds (its bulk strings), for the per-connection budget. */
  static long size(RespValue v) {
    return switch (v) {
      case RespValue.Bulk b -> b.bytes().length + 16;
      case RespValue.Array a -> a.items().stream().mapToLong(RespConnection::size).sum() + 16;
      case RespValue.MapValue m -> m.keysAndValues().stream().mapToLong(RespConnection::size).sum() + 16;
      default -> 16;
    };
  }

  void closeQuietly() {
    try {
      socket.close();
    } catch (IOException e) {
      LOG.debug("closing RESP connection {}: {}", session.id, e.toString());
    }
  }

  /** Bytes of commands and replies held by one connection; the reader waits while over the bound. */
  private static final class ByteBudget {
    private final long max;
    private long held;

    ByteBudget(long max) {
      this.max = max;
    }

    /** Waits until {@code n} more fits (always lets one command through when nothing is held). */
    synchronized void take(long n) throws InterruptedException {
      while (held > 0 && held + n > max) {
        wait();
      }
      held += n;
    }

    synchronized void add(long n) {
      held += n;
    }

    synchronized void give(long n) {
      held -= n;
      notifyAll();
    }
  }
}
