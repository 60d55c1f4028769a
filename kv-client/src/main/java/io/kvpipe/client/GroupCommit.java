package io.kvpipe.client;

/**
 * How a {@link ShardGroupClient} coalesces concurrent single-key operations into batches (one log entry for writes,
 * one read round for linearizable reads). An operation is sent at once while fewer than {@code maxInFlight} requests
 * are in flight, so a lone client never waits; otherwise it waits for the next batch, which takes up to {@code maxOps}
 * operations and {@code maxBytes} of keys and values (an operation larger than that goes alone).
 */
public record GroupCommit(int maxInFlight, int maxOps, int maxBytes) {
  /**
   * Chosen by measurement (scripts/bench-node.sh, alternating runs on one box): every log entry costs an fsync on
   * each replica, so one entry in flight, as large as the waiting operations make it, beat 2, 4 and 8 smaller ones
   * in flight at c=16 and c=64, for puts and for linearizable gets alike (c=64 puts: 5.3k/s at 1 in flight, 3.1k at
   * 2, 2.4-3.9k at 4, 1.8k at 8). A lone operation is still sent at once.
   */
  public static final GroupCommit DEFAULT = new GroupCommit(1, 512, 1 << 20);
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
