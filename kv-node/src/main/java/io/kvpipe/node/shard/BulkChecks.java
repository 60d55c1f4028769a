package io.kvpipe.node.shard;

import io.kvpipe.common.Keys;
import io.kvpipe.common.Limits;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Query;
import java.util.Arrays;

/** The input checks PutAll and MigrateIn share, written to cost no allocation per record on the common path. */
final class BulkChecks {
  private BulkChecks() {}

  static void checkCount(int n) {
    if (n > Query.MAX_ITEMS) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST,
          "a bulk request carries at most " + Query.MAX_ITEMS + " records, got " + n);
    }
  }

  /** Keys.validateKey decodes into a String; most keys are ASCII, which is valid UTF-8 without decoding. */
  static void checkKey(byte[] key) {
    if (key.length == 0 || key.length > Limits.MAX_KEY_BYTES || !isAscii(key)) {
      Keys.validateKey(key);
    }
  }

  private static boolean isAscii(byte[] key) {
    for (byte b : key) {
      if (b < 0) {
        return false;
      }
    }
    return true;
  }

  static long recordBytes(byte[] key, byte[] value) {
    return key.length + (value == null ? 0 : value.length) + Limits.BULK_RECORD_OVERHEAD_BYTES;
  }

  static void checkPayload(long bytes, int maxValueBytes) {
    long max = Limits.maxBulkBytes(maxValueBytes);
    if (bytes > max) {
      throw new KvException(ErrorCode.VALUE_TOO_LARGE,
          "a bulk request carries " + bytes + " bytes; the limit is " + max + ": send smaller batches");
    }
  }

  /**
   * The index of a key that repeats an earlier one, or -1. Sorts (ring position, record index) packed into longs and
   * compares bytes only where positions collide, so no per-record object is made.
   */
  static int firstDuplicate(ShardStore.Slot[] slots) {
    int n = slots.length;
    if (n < 2) {
      return -1;
    }
    if (n > 1 << 15) {
      throw new IllegalArgumentException("too many records to pack: " + n);
    }
    long[] packed = new long[n];
    for (int i = 0; i < n; i++) {
      // Positions are below 2^32 and indexes below 2^15 (MAX_ITEMS), so both fit in 47 bits.
      packed[i] = slots[i].position() << 15 | i;
    }
    Arrays.sort(packed);
    for (int i = 1; i < n; i++) {
      if (packed[i] >>> 15 != packed[i - 1] >>> 15) {
        continue;
      }
      // Same position: compare against every earlier record at this position (collisions are rare and short).
      for (int j = i - 1; j >= 0 && packed[j] >>> 15 == packed[i] >>> 15; j--) {
        int a = (int) (packed[i] & 0x7fff);
        int b = (int) (packed[j] & 0x7fff);
        if (Arrays.equals(slots[a].key(), slots[b].key())) {
          return Math.max(a, b);
        }
      }
    }
    return -1;
  }
}
