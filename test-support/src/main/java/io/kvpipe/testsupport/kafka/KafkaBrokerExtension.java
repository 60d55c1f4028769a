package io.kvpipe.testsupport.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One Kafka broker per test class:
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
 * ... KAFKA.bootstrapServers() ... KAFKA.broker().stop() ... KAFKA.broker().restart() ...
 * }</pre>
 *
 * The work dir is {@code target/kafka/<TestClass>-<random>} (the broker log stays there after the class).
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, AfterAllCallback {
  private volatile KafkaBroker broker;

  @Override
  public void beforeAll(ExtensionContext context) {
    try {
      Path base = Files.createDirectories(Path.of("target", "kafka"));
      Path dir = Files.createTempDirectory(base, context.getRequiredTestClass().getSimpleName() + "-");
      broker = KafkaBroker.start(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the Kafka work dir", e);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (broker != null) {
      broker.close();
      broker = null;
    }
  }

  public KafkaBroker broker() {
    if (broker == null) {
      throw new IllegalStateException("the Kafka broker runs only between beforeAll and afterAll; register this "
          + "extension on a static field");
    }
    return broker;
  }

  public String bootstrapServers() {
    return broker().bootstrapServers();
  }
}
