package io.kvpipe.consumer;

import io.kvpipe.common.config.ConfigDef;
import io.kvpipe.common.config.LoadedConfig;
import io.kvpipe.common.config.LogFormat;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;

/**
 * The cdc-consumer process: archives the change topic into MySQL until SIGTERM. Prints its effective configuration
 * (secrets masked) and runs one {@link ArchiveService} on the main thread; SIGTERM stops it after the batch in flight
 * (committed or rolled back) and the JVM exits once everything is closed.
 */
public final class ConsumerMain {
  private ConsumerMain() {}

  public static void main(String[] args) throws Exception {
    if (ConfigDef.wantsHelp(args)) {
      System.out.print(ConsumerConfig.usage());
      return;
    }
    LoadedConfig<ConsumerConfig> loaded;
    try {
      LogFormat.check(System.getenv());
      loaded = ConsumerConfig.load(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("cdc-consumer: " + e.getMessage());
      System.exit(2);
      return;
    }
    ConsumerConfig config = loaded.config();
    loaded.settings().warnings().forEach(LoggerFactory.getLogger(ConsumerMain.class)::warn);
    // Through the logger, as one event: with KVPIPE_LOG_FORMAT=json stdout stays one JSON object per line.
    LoggerFactory.getLogger(ConsumerMain.class).info("cdc-consumer starting with:\n{}", loaded.settings().describe());
    CountDownLatch closed = new CountDownLatch(1);
    try (ArchiveService service = new ArchiveService(config)) {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        service.stop();
        try {
          closed.await(); // keep the JVM up until the main thread has closed the consumer and the pool
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "cdc-consumer-shutdown"));
      service.run();
    } finally {
      System.err.println("cdc-consumer: stopped");
      closed.countDown();
    }
  }
}
