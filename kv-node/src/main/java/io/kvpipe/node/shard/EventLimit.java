package io.kvpipe.node.shard;

import io.kvpipe.common.event.DebeziumEnvelope;
import io.kvpipe.common.event.EnvelopeOptions;

/**
 * The largest change event this node's leader can publish (the change topic's and the producer's record limits, less
 * the record's framing), as known now. Writes whose event would be larger are refused before they are replicated
 * ({@link CdcEventLimit}). Implemented by the CDC side, which reads the topic's settings; thread-safe.
 */
public interface EventLimit {
  /** No limit known (CDC off, or tests). */
  EventLimit NONE = new EventLimit() {
    @Override
    public long maxEventBytes() {
      return Long.MAX_VALUE;
    }

    @Override
    public String explain() {
      return "no limit";
    }
  };

  /** The largest encoded event (record key plus value, {@link DebeziumEnvelope#encode}) that can be published. */
  long maxEventBytes();

  /** The writer whose sizes {@link #maxEventBytes} bounds. */
  default DebeziumEnvelope envelope() {
    return DebeziumEnvelope.of(EnvelopeOptions.DEFAULT);
  }

  /** Where the limit comes from and how to raise it, for error messages. */
  String explain();
}
