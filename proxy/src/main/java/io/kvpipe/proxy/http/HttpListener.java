package io.kvpipe.proxy.http;

import io.kvpipe.proxy.HttpLimits;
import io.kvpipe.proxy.ProxyMetrics;
import java.time.Duration;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The proxy's HTTP listener: Jetty's server, thread pool and connector with the header limit and error rendering
 * every request meets before a route runs. Knows nothing of routes; {@link ProxyHandler} does.
 */
public final class HttpListener implements AutoCloseable {
  private final Server server;
  private final ServerConnector connector;

  public HttpListener(String host, int port, Duration idleTimeout, HttpLimits limits, Handler handler,
                      ProxyMetrics metrics) {
    QueuedThreadPool threads = new QueuedThreadPool(64, 4);
    threads.setName("proxy-http");
    threads.setDaemon(true);
    server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setRequestHeaderSize(limits.maxHeaderBytes());
    http.setSendServerVersion(false);
    http.setSendDateHeader(false);
    // Keys may contain anything once percent-decoded ("a%2Fb", "%2E%2E"): we decode the raw path ourselves.
    http.setUriCompliance(UriCompliance.UNSAFE);
    connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
    connector.setHost(host);
    connector.setPort(port);
    connector.setIdleTimeout(idleTimeout.toMillis());
    server.addConnector(connector);
    server.setHandler(handler);
    server.setErrorHandler(new JsonErrorHandler(metrics));
  }

  public void start() throws Exception {
    server.start();
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return connector.getLocalPort();
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }
}
