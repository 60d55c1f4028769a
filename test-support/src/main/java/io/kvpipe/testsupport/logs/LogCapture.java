package io.kvpipe.testsupport.logs;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.kvpipe.testsupport.Poll;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/**
 * The events one logger (and its children) writes in this JVM while the capture is open, at a level the capture sets
 * for that time: for tests of what a component logs, e.g. an in-process proxy's access log or a ShardState's lines
 * with request ids. Events arrive from any thread; {@link #await} polls for one with a deadline. Needs logback as the
 * SLF4J binding of the test's class path (every service module has it). Close it to restore the level and detach.
 */
public final class LogCapture implements AutoCloseable {
  private final Logger logger;
  private final Level before;
  private final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();
  private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent e) {
      e.prepareForDeferredProcessing(); // the message, MDC and key/values as of now, not when a test reads them
      events.add(e);
    }
  };

  private LogCapture(String loggerName, Level level) {
    logger = (Logger) LoggerFactory.getLogger(loggerName);
    before = logger.getLevel();
    appender.setContext(logger.getLoggerContext());
    appender.setName("log-capture-" + loggerName);
    appender.start();
    logger.addAppender(appender);
    logger.setLevel(level);
  }

  /** Captures {@code loggerName} at {@code level} (e.g. "DEBUG") until closed. */
  public static LogCapture of(String loggerName, String level) {
    return new LogCapture(loggerName, Objects.requireNonNull(Level.toLevel(level, null), "no such level: " + level));
  }

  /** Every event so far, in arrival order. */
  public List<ILoggingEvent> events() {
    return List.copyOf(events);
  }

  /** The events so far that {@code match}. */
  public List<ILoggingEvent> events(Predicate<ILoggingEvent> match) {
    return events.stream().filter(match).toList();
  }

  /** The first event that matches {@code match}, waiting for it until {@code timeout}. */
  public ILoggingEvent await(String what, Duration timeout, Predicate<ILoggingEvent> match) {
    return Poll.forValue(what, timeout, () -> events.stream().filter(match).findFirst().orElse(null));
  }

  /** The value of an event's key/value field {@code key} (as written with {@code addKeyValue}), or null. */
  public static Object keyValue(ILoggingEvent e, String key) {
    List<KeyValuePair> kvs = e.getKeyValuePairs();
    if (kvs == null) {
      return null;
    }
    for (KeyValuePair kv : kvs) {
      if (Objects.equals(kv.key, key)) {
        return kv.value;
      }
    }
    return null;
  }

  @Override
  public void close() {
    logger.setLevel(before);
    logger.detachAppender(appender);
    appender.stop();
  }
}
