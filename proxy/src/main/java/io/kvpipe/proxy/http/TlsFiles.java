package io.kvpipe.proxy.http;

import io.kvpipe.proxy.ListenerTls;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener's certificate files and whether they changed: {@link #load} reads them now (a bad one fails the start);
 * {@link #reloadIfChanged} reads them again only if a file's modification time or size moved since the last look,
 * and returns the new keys only if they load (otherwise the caller keeps the previous ones, and the reason is logged).
 * Shared by the HTTPS and the Redis-protocol listeners. Not thread-safe: callers serialize their looks.
 */
final class TlsFiles {
  private static final Logger LOG = LoggerFactory.getLogger(TlsFiles.class);

  private final ListenerTls tls;
  private final List<Path> files;
  private List<String> stamps;

  TlsFiles(ListenerTls tls) {
    this.tls = tls;
    this.files = Stream.concat(Stream.of(tls.cert()), Stream.concat(tls.key().stream(), tls.passwordFile().stream()))
        .toList();
    this.stamps = FileStamps.of(files);
  }

  TlsKeys.Loaded load() {
    return TlsKeys.load(tls);
  }

  /** The keys as the files now hold them, if the files changed and load; empty otherwise. */
  Optional<TlsKeys.Loaded> reloadIfChanged(String listener) {
    List<String> now = FileStamps.of(files);
    if (now.equals(stamps)) {
      return Optional.empty();
    }
    stamps = now;
    try {
      TlsKeys.Loaded loaded = TlsKeys.load(tls);
      LOG.info("TLS certificate of the {} re-read from {}", listener, tls);
      return Optional.of(loaded);
    } catch (RuntimeException e) {
      LOG.warn("TLS files {} of the {} changed but cannot be used; the previous certificate stays in use: {}", tls,
          listener, e.getMessage());
      return Optional.empty();
    }
  }
}
