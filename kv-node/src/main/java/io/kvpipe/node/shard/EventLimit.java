package io.kvpipe.node.shard;

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

  /** The largest encoded event ({@code ChangeEventCodec.encode(e).length}) that can be published. */
  long maxEventBytes();

  /** Where the limit comes from and how to raise it, for error messages. */
  String explain();
}
