package io.kvpipe.client;

/**
 * How a {@link ShardGroupClient} coalesces concurrent single-key operations into batches (one log entry for writes,
 * one read round for linearizable reads). An operation is sent at once while fewer than {@code maxInFlight} requests
 * are in flight, so a lone client never waits; otherwise it waits for the next batch, which takes up to {@code maxOps}
 * operations and {@code maxBytes} of keys and values (an operation larger than that goes alone). After a batch of
 * several operations completes, the next request waits up to {@code gatherMicros} for as many operations as that batch
 * carried (see {@link Coalescer}: callers across a network send their next operations a little after their replies);
 * 0 sends at once.
 */
public record GroupCommit(int maxInFlight, int maxOps, int maxBytes, int gatherMicros) {
  /**
   * Chosen by measurement (scripts/bench-node.sh, alternating runs on one box): every log entry costs an fsync on
   * each replica, so one entry in flight, as large as the waiting operations make it, beat 2, 4 and 8 smaller ones
   * in flight at c=16 and c=64, for puts and for linearizable gets alike (c=64 puts: 5.3k/s at 1 in flight, 3.1k at
   * 2, 2.4-3.9k at 4, 1.8k at 8). A lone operation is still sent at once.
   */
  public static final GroupCommit DEFAULT = new GroupCommit(1, 512, 1 << 20, GatherBound.DEFAULT_MICROS);
  /** Every operation on its own: one request each, as before group commit (for comparison in benchmarks). */
  public static final GroupCommit OFF = new GroupCommit(Integer.MAX_VALUE, 1, Integer.MAX_VALUE, 0);

  /** Where the gathering's default bound comes from. */
  private static final class GatherBound {
    /**
     * Long enough for a closed loop's callers behind a proxy to come back (their replies are written one by one, each
     * caller then sends over HTTP: measured on 2 cores, the last of 32 arrived within ~1 ms), short against a Raft
     * round trip's fsyncs; the most an operation after a multi-operation batch waits when its peers do not come.
     */
    static final int DEFAULT_MICROS = 2_000;
  }

  public GroupCommit {
    if (maxInFlight < 1 || maxOps < 1 || maxOps > io.kvpipe.common.wire.Command.Batch.MAX_OPS || maxBytes < 1
        || gatherMicros < 0 || gatherMicros > 1_000_000) {
      throw new IllegalArgumentException("group commit needs maxInFlight >= 1, maxOps in 1.."
          + io.kvpipe.common.wire.Command.Batch.MAX_OPS + ", maxBytes >= 1, gatherMicros in 0..1000000; got "
          + maxInFlight + ", " + maxOps + ", " + maxBytes + ", " + gatherMicros);
    }
  }

  /** Parses {@code off} or {@code IN_FLIGHT,OPS,BYTES[,GATHER_MICROS]} (a flag's value). */
  public static GroupCommit parse(String text) {
    String t = text.trim();
    if (t.equals("off")) {
      return OFF;
    }
    String[] parts = t.split(",");
    if (parts.length != 3 && parts.length != 4) {
      throw new IllegalArgumentException("expected 'off' or 'maxInFlight,maxOps,maxBytes[,gatherMicros]', got '"
          + text + "'");
    }
    try {
      return new GroupCommit(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()),
          Integer.parseInt(parts[2].trim()),
          parts.length == 4 ? Integer.parseInt(parts[3].trim()) : GatherBound.DEFAULT_MICROS);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected 'off' or three or four integers, got '" + text + "'", e);
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
    return maxOps == 1 ? "off" : maxInFlight + "," + maxOps + "," + maxBytes + "," + gatherMicros;
  }
}
