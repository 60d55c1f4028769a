package io.kvpipe.proxy.http;

import io.kvpipe.proxy.ListenerTls;
import java.io.IOException;
import java.net.Socket;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * TLS for a listener built on plain sockets (the Redis-protocol port): turns each accepted socket into the server side
 * of a TLS connection with the proxy's certificate, re-read when its files change (looked at most every
 * {@link #CHECK_EVERY_NANOS}), as the HTTPS listener does: new connections get the new certificate, open ones keep
 * theirs, and files that change but do not load leave the previous certificate in use. The handshake runs on the
 * connection's own thread at its first read, never on the accepting thread. Thread-safe.
 */
public final class ReloadingTls {
  private static final long CHECK_EVERY_NANOS = 5_000_000_000L;
  private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

  private final TlsFiles files;
  private volatile SSLContext context;
  private long nextCheckNanos;

  /** Loads the certificate now: a missing or unreadable one fails the start. */
  public ReloadingTls(ListenerTls tls) {
    this.files = new TlsFiles(tls);
    this.context = TlsKeys.serverContext(files.load());
    this.nextCheckNanos = System.nanoTime() + CHECK_EVERY_NANOS;
  }

  /** The server side of a TLS connection over {@code accepted} (which it then owns). */
  public SSLSocket wrap(Socket accepted) throws IOException {
    SSLSocket s = (SSLSocket) current().getSocketFactory()
        .createSocket(accepted, null, accepted.getPort(), true);
    s.setUseClientMode(false);
    s.setEnabledProtocols(PROTOCOLS);
    return s;
  }

  private SSLContext current() {
    long now = System.nanoTime();
    synchronized (this) {
      if (now - nextCheckNanos >= 0) {
        nextCheckNanos = now + CHECK_EVERY_NANOS;
        files.reloadIfChanged("Redis-protocol listener").ifPresent(k -> context = TlsKeys.serverContext(k));
      }
    }
    return context;
  }
}
