package io.kvpipe.node.cdc;

import io.kvpipe.common.Limits;
import io.kvpipe.common.event.ChangeEventCodec;
import io.kvpipe.node.shard.EventLimit;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this node knows about the change topic, shared by all its shard groups: the largest event it can publish (the
 * smaller of the topic's {@code max.message.bytes} and the producer's {@code max.request.size}, less a record's
 * framing), so its leaders refuse writes whose events could never be published ({@link EventLimit}). Updated whenever the topic is read (at start, and by each leader that starts
 * publishing); until then the producer's bound alone applies. Reported in the log when it changes and as meters
 * {@code kvpipe.cdc.max.event.bytes}, {@code kvpipe.cdc.max.value.bytes}.
 * Thread-safe.
 */
public final class TopicStatus implements EventLimit {
  private static final Logger log = LoggerFactory.getLogger(TopicStatus.class);
  /** A record's bytes beyond its value: batch header, key (512 B at most), headers, varints. */
  static final int RECORD_FRAMING_BYTES = 1024;

  private final String topic;
  private final int configuredMaxValueBytes;
  private final long producerMaxRequestBytes;
  private volatile TopicFacts facts;

  public TopicStatus(CdcConfig config, int configuredMaxValueBytes, MeterRegistry registry) {
    this.topic = config.topic();
    this.configuredMaxValueBytes = configuredMaxValueBytes;
    this.producerMaxRequestBytes = KafkaAccess.maxRequestBytes(config);
    Gauge.builder("kvpipe.cdc.max.event.bytes", this, TopicStatus::maxEventBytes)
        .description("largest change event the topic and producer take; larger writes are refused").register(registry);
    Gauge.builder("kvpipe.cdc.max.value.bytes", this, TopicStatus::maxValueBytes)
        .description("largest value accepted, given the change topic's record limit").register(registry);
  }

  /** Takes what the topic's settings are now; logs the limits when they change. */
  public void update(TopicFacts now) {
    TopicFacts before = facts;
    facts = Objects.requireNonNull(now, "facts");
    if (now.equals(before)) {
      return;
    }
    String limits = describe();
    if (maxValueBytes() < configuredMaxValueBytes) {
      log.warn("CDC limits: {}. Values above {} bytes are REFUSED although --max-value-bytes is {}: {}", limits,
          maxValueBytes(), configuredMaxValueBytes, raiseHint());
    } else {
      log.info("CDC limits: {}", limits);
    }
  }

  @Override
  public long maxEventBytes() {
    TopicFacts f = facts;
    long bound = f == null ? producerMaxRequestBytes : Math.min(producerMaxRequestBytes, f.maxMessageBytes());
    return bound - RECORD_FRAMING_BYTES;
  }

  /** The largest value accepted: the configured cap, or less if the topic cannot take events that large. */
  public int maxValueBytes() {
    return Math.max(0, Math.min(configuredMaxValueBytes,
        ChangeEventCodec.largestValueFor(maxEventBytes(), Limits.MAX_KEY_BYTES)));
  }

  @Override
  public String explain() {
    TopicFacts f = facts;
    return (f == null ? "the producer's max.request.size is " + producerMaxRequestBytes + " (topic " + topic
        + " not read yet)" : "topic " + topic + " takes records of at most max.message.bytes=" + f.maxMessageBytes()
        + " (producer max.request.size " + producerMaxRequestBytes + ")") + "; " + raiseHint();
  }

  /** One line for the log: the limits as they stand. */
  public String describe() {
    TopicFacts f = facts;
    return "topic " + topic + (f == null ? " (not read yet)" : " max.message.bytes=" + f.maxMessageBytes()
        + ", replication factor " + f.replicationFactor() + ", min.insync.replicas=" + f.minInsyncReplicas())
        + ", producer max.request.size=" + producerMaxRequestBytes + ": events up to " + maxEventBytes()
        + " bytes, values up to " + maxValueBytes() + " bytes (--max-value-bytes " + configuredMaxValueBytes + ")";
  }

  private String raiseHint() {
    long needed = ChangeEventCodec.maxEncodedSize(Limits.MAX_KEY_BYTES, configuredMaxValueBytes,
        configuredMaxValueBytes) + RECORD_FRAMING_BYTES;
    return "raise the topic's max.message.bytes to at least " + needed + " to accept values up to --max-value-bytes "
        + configuredMaxValueBytes;
  }
}
