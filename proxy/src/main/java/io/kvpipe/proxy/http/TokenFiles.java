package io.kvpipe.proxy.http;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tokens in force, re-loaded when a token file changes (checked every {@code interval}): a token added to the
 * file is accepted and a token removed is refused from then on, without a restart. A file that no longer loads (gone,
 * empty, a token too short) leaves the tokens in force unchanged and logs why; tokens themselves are never logged.
 * Thread-safe.
 */
public final class TokenFiles implements Supplier<TokenSet>, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TokenFiles.class);

  private final Supplier<TokenSet> loader;
  private final List<Path> files;
  private final ScheduledExecutorService timer;
  private volatile TokenSet current;
  private List<String> stamps;

  /**
   * @param loader reads and checks every source of tokens (throws IllegalArgumentException)
   * @param files  the files to watch; none: the tokens never change and no thread is started
   */
  public TokenFiles(Supplier<TokenSet> loader, List<Path> files, Duration interval) {
    this.loader = loader;
    this.files = List.copyOf(files);
    this.current = Objects.requireNonNull(loader.get());
    this.stamps = stamps();
    if (this.files.isEmpty()) {
      timer = null;
    } else {
      timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "token-files");
        t.setDaemon(true);
        return t;
      });
      timer.scheduleWithFixedDelay(this::reloadIfChanged, interval.toMillis(), interval.toMillis(),
          TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public TokenSet get() {
    return current;
  }

  /** Re-reads the tokens if a file's modification time or size changed; returns true if new tokens are in force. */
  public synchronized boolean reloadIfChanged() {
    List<String> now = stamps();
    if (now.equals(stamps)) {
      return false;
    }
    stamps = now;
    try {
      TokenSet loaded = loader.get();
      current = loaded;
      LOG.info("token files {} re-read: {} data and {} admin token(s) in force", files, loaded.dataCount(),
          loaded.adminCount());
      return true;
    } catch (RuntimeException e) {
      LOG.warn("token files {} changed but cannot be used, the previous tokens stay in force: {}", files,
          e.getMessage());
      return false;
    }
  }

  private List<String> stamps() {
    return FileStamps.of(files);
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
  }
}
