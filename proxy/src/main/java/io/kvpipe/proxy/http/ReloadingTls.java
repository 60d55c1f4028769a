package io.kvpipe.proxy.http;

import io.kvpipe.proxy.ListenerTls;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS for a listener built on plain sockets (the Redis-protocol port): turns each accepted socket into the server side
 * of a TLS connection with the proxy's certificate, re-read when its files change (looked at most every
 * {@link #CHECK_EVERY_NANOS}), as the HTTPS listener does: new connections get the new certificate, open ones keep
 * theirs, and files that change but do not load leave the previous certificate in use. The handshake runs on the
 * connection's own thread at its first read, never on the accepting thread. Thread-safe.
 */
public final class ReloadingTls {
  private static final Logger LOG = LoggerFactory.getLogger(ReloadingTls.class);
  private static final long CHECK_EVERY_NANOS = 5_000_000_000L;
  private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

  private final ListenerTls tls;
  private final List<Path> files;
  private volatile SSLContext context;
  private List<String> stamps;
  private long nextCheckNanos;

  /** Loads the certificate now: a missing or unreadable one fails the start. */
  public ReloadingTls(ListenerTls tls) {
    this.tls = tls;
    List<Path> f = new ArrayList<>(List.of(tls.cert()));
    tls.key().ifPresent(f::add);
    tls.passwordFile().ifPresent(f::add);
    this.files = List.copyOf(f);
    this.stamps = FileStamps.of(files);
    this.context = TlsKeys.serverContext(TlsKeys.load(tls));
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
        List<String> seen = FileStamps.of(files);
        if (!seen.equals(stamps)) {
          stamps = seen;
          try {
            context = TlsKeys.serverContext(TlsKeys.load(tls));
            LOG.info("TLS certificate re-read from {} (Redis-protocol listener)", tls);
          } catch (RuntimeException e) {
            LOG.warn("TLS files {} changed but cannot be used; the previous certificate stays in use: {}", tls,
                e.getMessage());
          }
        }
      }
    }
    return context;
  }
}
