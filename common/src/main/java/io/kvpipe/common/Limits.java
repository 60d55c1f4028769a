package io.kvpipe.common;

/** Size limits of the data model (DESIGN.md "Data model and invariants"), defined once for every service. */
public final class Limits {
  /** A key is 1..512 UTF-8 bytes. */
  public static final int MAX_KEY_BYTES = 512;
  /** Default cap on a value; configurable per deployment up to {@link #HARD_MAX_VALUE_BYTES}. */
  public static final int DEFAULT_MAX_VALUE_BYTES = 1 << 20;
  /** No configuration may raise the value cap past this. */
  public static final int HARD_MAX_VALUE_BYTES = 16 << 20;

  /** Bytes a bulk request (PutAll, MigrateIn) counts per record on top of its key and value. */
  public static final int BULK_RECORD_OVERHEAD_BYTES = 16;

  private Limits() {}

  /**
   * How many bytes (keys + values + {@link #BULK_RECORD_OVERHEAD_BYTES} per record) one bulk request may carry: 3 MiB,
   * or one record of the largest allowed value. A bulk request is one Raft log entry, and an entry larger than a
   * replication batch could never reach the followers; callers split their batches to stay within this.
   */
  public static long maxBulkBytes(int maxValueBytes) {
    return Math.max(3L << 20, (long) maxValueBytes + MAX_KEY_BYTES + BULK_RECORD_OVERHEAD_BYTES);
  }

  /** Checks a configured value cap; used by every service's config parser. */
  public static int checkMaxValueBytes(int configured) {
    if (configured < 0 || configured > HARD_MAX_VALUE_BYTES) {
      throw new IllegalArgumentException(
          "max value bytes must be within 0.." + HARD_MAX_VALUE_BYTES + ", got " + configured);
    }
    return configured;
  }
}
