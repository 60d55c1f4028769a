package io.kvpipe.proxy.resp;

import io.kvpipe.proxy.ListenerTls;
import io.kvpipe.proxy.ProxyMetrics;
import io.kvpipe.proxy.http.ReloadingTls;
import io.kvpipe.proxy.http.TokenSet;
import io.kvpipe.proxy.kv.KvRouter;
import io.kvpipe.proxy.kv.ScanApi;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redis-protocol (RESP2/RESP3) listener of the proxy: accepts connections on its own port and runs each on
 * virtual threads ({@link RespConnection}). Every command needs AUTH with a data (or admin) token first.
 */
public final class RespServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RespServer.class);

  private final String host;
  private final RespConfig config;
  private final RespCommands commands;
  private final RespLimits limits;
  private final ProxyMetrics metrics;
  private final Set<RespConnection> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong ids = new AtomicLong();
  private final ReloadingTls tls; // null: plaintext
  private ServerSocket server;
  private Thread acceptor;

  /**
   * @param tls              TLS with this certificate (re-read when its files change); empty: plaintext
   * @param tokens           the tokens in force (re-read from token files as the HTTP API's are)
   * @param maxBatchGetBytes most value bytes one MGET may return, as for an HTTP batch get
   * @param authTimeout      how long a new connection may take to authenticate
   */
  public RespServer(String host, RespConfig config, Optional<ListenerTls> tls, KvRouter router, ScanApi scans,
                    Supplier<TokenSet> tokens,
                    int maxValueBytes, long maxBodyBytes, long maxBatchGetBytes, Duration authTimeout,
                    ProxyMetrics metrics) {
    this.host = host;
    this.config = config;
    this.tls = tls.map(ReloadingTls::new).orElse(null);
    this.metrics = metrics;
    this.limits = RespLimits.of(maxValueBytes, maxBodyBytes, config.maxPipeline(), authTimeout);
    RespDataCommands data = new RespDataCommands(router, new RespScan(scans, new ScanCursors()), maxValueBytes,
        maxBatchGetBytes);
    this.commands = new RespCommands(tokens, data,
        new RespTransactions(router, maxValueBytes, System::currentTimeMillis));
  }

  public RespServer start() throws IOException {
    server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(InetAddress.getByName(host), config.port().orElseThrow()), 512);
    acceptor = Thread.ofPlatform().daemon().name("resp-accept").start(this::acceptLoop);
    LOG.info("RESP listener on {}:{}{}", host, port(), tls != null ? " (TLS)" : " (plaintext)");
    return this;
  }

  public int port() {
    return server.getLocalPort();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        if (!server.isClosed()) {
          LOG.warn("RESP accept failed: {}", e.toString());
        }
        continue;
      }
      try {
        s.setTcpNoDelay(true);
        Socket conn = tls != null ? tls.wrap(s) : s;
        if (open.size() >= config.maxConnections()) {
          metrics.rejected("resp_connections");
          // Off the accepting thread: over TLS the refusal's write runs the handshake, which a client may stall.
          Thread.ofVirtual().name("resp-refuse").start(() -> refuse(conn));
          continue;
        }
        RespConnection c = new RespConnection(conn, ids.incrementAndGet(), commands, limits, metrics);
        open.add(c);
        Thread.ofVirtual().name("resp-read-" + ids.get()).start(() -> {
          try {
            c.run();
          } finally {
            open.remove(c);
          }
        });
      } catch (IOException e) {
        LOG.debug("RESP connection setup failed: {}", e.toString());
        closeQuietly(s);
      }
    }
  }

  private void refuse(Socket s) {
    try (s) {
      s.setSoTimeout(5_000);
      OutputStream out = s.getOutputStream();
      out.write(("-ERR max number of clients reached (--resp-max-connections " + config.maxConnections() + ")\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
    } catch (IOException e) {
      LOG.debug("refusing a RESP connection: {}", e.toString());
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      LOG.debug("closing a RESP socket: {}", e.toString());
    }
  }

  @Override
  public void close() throws IOException {
    if (server != null) {
      server.close();
    }
    open.forEach(RespConnection::closeQuietly);
    if (acceptor != null) {
      try {
        acceptor.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
