package io.kvpipe.client;

/**
 * How a {@link ShardGroupClient} coalesces concurrent single-key operations into batches (one log entry for writes,
 * one read round for linearizable reads). An operation is sent at once while fewer than {@code maxInFlight} requests
 * are in flight, so a lone client never waits; otherwise it waits for the next batch, which takes up to {@code maxOps}
 * operations and {@code maxBytes} of keys and values (an operation larger than that goes alone).
 */
public record GroupCommit(int maxInFlight, int maxOps, int maxBytes) {
  /**
   * Chosen by measurement (scripts/bench-node.sh): a few batches in flight keep the leader's log, the followers'
   * fsyncs and the apply thread busy at once; more only shrink the batches.
   */
  public static final GroupCommit DEFAULT = new GroupCommit(4, 256, 1 << 20);
  /** Every operation on its own: one request each, as before group commit (for comparison in benchmarks). */
  public static final GroupCommit OFF = new GroupCommit(Integer.MAX_VALUE, 1, Integer.MAX_VALUE);

  public GroupCommit {
    if (maxInFlight < 1 || maxOps < 1 || maxOps > io.kvpipe.common.wire.Command.Batch.MAX_OPS || maxBytes < 1) {
      throw new IllegalArgumentException("group commit needs maxInFlight >= 1, maxOps in 1.."
          + io.kvpipe.common.wire.Command.Batch.MAX_OPS + ", maxBytes >= 1; got " + maxInFlight + ", " + maxOps + ", "
          + maxBytes);
    }
  }

  /** Parses {@code off} or {@code IN_FLIGHT,OPS,BYTES} (a flag's value). */
  public static GroupCommit parse(String text) {
    String t = text.trim();
    if (t.equals("off")) {
      return OFF;
    }
    String[] parts = t.split(",");
    if (parts.length != 3) {
      throw new IllegalArgumentException("expected 'off' or 'maxInFlight,maxOps,maxBytes', got '" + text + "'");
    }
    try {
      return new GroupCommit(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()),
          Integer.parseInt(parts[2].trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected 'off' or three integers, got '" + text + "'", e);
    }
  }

  /** Requests sent and the operations they carried, for writes and for linearizable reads. */
  public record Stats(long writeRequests, long writeOps, long readRequests, long readOps) {
    public double opsPerWriteRequest() {
      return writeRequests == 0 ? 0 : (double) writeOps / writeRequests;
    }

    public double opsPerReadRequest() {
      return readRequests == 0 ? 0 : (double) readOps / readRequests;
    }
  }

  @Override
  public String toString() {
    return maxOps == 1 ? "off" : maxInFlight + "," + maxOps + "," + maxBytes;
  }
}
