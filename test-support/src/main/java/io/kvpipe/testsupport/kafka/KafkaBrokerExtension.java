package io.kvpipe.testsupport.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One Kafka broker per test class, or one for every test class of the JVM that asks for {@link #shared()}:
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
 * ... KAFKA.bootstrapServers() ... KAFKA.broker().stop() ... KAFKA.broker().restart() ...
 *
 * @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();
 * }</pre>
 *
 * A broker costs 15-30 s to format, start and stop on 2 busy cores; a class that only produces and consumes on topics
 * (and consumer groups) of its own takes the shared one, which is started by the first such class and stopped when
 * the JVM's tests end. The shared broker refuses stop, kill and restart: a class that takes Kafka away has its own.
 * The work dir is {@code target/kafka/<TestClass>-<random>} ({@code shared-<random>} for the shared one; the broker
 * log stays there after the class).
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, AfterAllCallback {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(
      KafkaBrokerExtension.class);

  private final boolean shared;
  private volatile KafkaBroker broker;

  /** A broker of this class's own, started before its tests and stopped after them. */
  public KafkaBrokerExtension() {
    this(false);
  }

  private KafkaBrokerExtension(boolean shared) {
    this.shared = shared;
  }

  /** The broker shared by every test class of this JVM that registers this; never stopped by a test. */
  public static KafkaBrokerExtension shared() {
    return new KafkaBrokerExtension(true);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    if (shared) {
      KafkaBroker b = context.getRoot().getStore(NAMESPACE)
          .getOrComputeIfAbsent(SharedBroker.class, k -> new SharedBroker(start("shared")), SharedBroker.class)
          .broker();
      if (!b.isRunning()) {
        throw new IllegalStateException("the shared Kafka broker is not running (" + b.logFile() + ")");
      }
      broker = b;
      return;
    }
    broker = start(context.getRequiredTestClass().getSimpleName());
  }

  private static KafkaBroker start(String name) {
    try {
      Path base = Files.createDirectories(Path.of("target", "kafka"));
      Path dir = Files.createTempDirectory(base, name + "-");
      return KafkaBroker.start(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the Kafka work dir", e);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (broker != null && !shared) {
      broker.close();
    }
    broker = null;
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

  /** The JVM's shared broker, closed by JUnit when the root context closes (after the last test class). */
  private record SharedBroker(KafkaBroker broker) implements ExtensionContext.Store.CloseableResource {
    SharedBroker {
      broker.share();
    }

    @Override
    public void close() {
      broker.close();
    }
  }
}
