package io.kvpipe.proxy.http;

import io.kvpipe.proxy.HttpLimits;
import io.kvpipe.proxy.ListenerTls;
import io.kvpipe.proxy.ProxyMetrics;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's HTTP listener: Jetty's server, thread pool and connector (HTTPS when TLS is configured) with the header
 * limit and error rendering every request meets before a route runs. Knows nothing of routes; {@link ProxyHandler}
 * does.
 */
public final class HttpListener implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpListener.class);

  private final Server server;
  private final ServerConnector connector;
  private final SslContextFactory.Server ssl;
  private final TlsFiles tlsFiles;
  private ScheduledExecutorService reloader;

  /** Plain HTTP (tests, loopback). */
  public HttpListener(String host, int port, Duration idleTimeout, HttpLimits limits, Handler handler,
                      ProxyMetrics metrics) {
    this(host, port, idleTimeout, limits, Optional.empty(), handler, metrics);
  }

  /** HTTPS when {@code tls} is given (its files are read now: a bad one fails here), else plain HTTP. */
  public HttpListener(String host, int port, Duration idleTimeout, HttpLimits limits, Optional<ListenerTls> tls,
                      Handler handler, ProxyMetrics metrics) {
    QueuedThreadPool threads = new ProxyThreadPool(64, 4);
    threads.setName("proxy-http");
    threads.setDaemon(true);
    server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setRequestHeaderSize(limits.maxHeaderBytes());
    http.setSendServerVersion(false);
    http.setSendDateHeader(false);
    // Keys may contain anything once percent-decoded ("a%2Fb", "%2E%2E"): we decode the raw path ourselves.
    http.setUriCompliance(UriCompliance.UNSAFE);
    this.tlsFiles = tls.map(TlsFiles::new).orElse(null);
    if (tlsFiles == null) {
      ssl = null;
      connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
    } else {
      ssl = new SslContextFactory.Server();
      useKeys(ssl, tlsFiles.load());
      http.setSecureScheme("https");
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      // Clients reach the proxy by IP, by service name, behind balancers: the certificate's names are the client's
      // business (it verifies them), not a reason for the server to refuse a request.
      secure.setSniHostCheck(false);
      http.addCustomizer(secure);
      connector = new ServerConnector(server, 1, 1, new SslConnectionFactory(ssl, "http/1.1"),
          new HttpConnectionFactory(http));
    }
    connector.setHost(host);
    connector.setPort(port);
    connector.setIdleTimeout(idleTimeout.toMillis());
    server.addConnector(connector);
    server.setHandler(handler);
    server.setErrorHandler(new JsonErrorHandler(metrics));
  }

  public void start() throws Exception {
    server.start();
    if (ssl != null) {
      reloader = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tls-files");
        t.setDaemon(true);
        return t;
      });
      reloader.scheduleWithFixedDelay(this::reloadTlsIfChanged, 5, 5, TimeUnit.SECONDS);
    }
  }

  /**
   * Re-reads the certificate and key if their files changed since the last look (new connections get the new ones;
   * open connections keep theirs). A change that does not load leaves the old certificate in use and logs why.
   *
   * @return true if a new certificate is in use
   */
  public synchronized boolean reloadTlsIfChanged() {
    if (ssl == null) {
      return false;
    }
    Optional<TlsKeys.Loaded> loaded = tlsFiles.reloadIfChanged("HTTPS listener");
    if (loaded.isEmpty()) {
      return false;
    }
    try {
      ssl.reload(f -> useKeys(f, loaded.get()));
      return true;
    } catch (Exception e) {
      LOG.warn("the new TLS certificate could not be put in use; the previous one stays: {}", e.getMessage());
      return false;
    }
  }

  public boolean tls() {
    return ssl != null;
  }

  private static void useKeys(SslContextFactory f, TlsKeys.Loaded loaded) {
    f.setKeyStore(loaded.store());
    f.setKeyStorePassword(new String(loaded.password()));
    f.setKeyManagerPassword(new String(loaded.password()));
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return connector.getLocalPort();
  }

  @Override
  public void close() throws Exception {
    if (reloader != null) {
      reloader.shutdownNow();
    }
    server.stop();
  }
}
