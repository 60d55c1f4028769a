package io.kvpipe.testsupport.load;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;

/**
 * Values that say which key they were written for: the first 8 bytes are the hex CRC-32 of the key, then the attempt
 * number, then filler. A read returning another key's value (mis-routing, a mixed-up copy) is caught by
 * {@link #belongsTo}. Sizes are skewed small, with a tail up to the configured maximum.
 */
public final class Values {
  public static final int MIN_BYTES = 10;

  private Values() {}

  public static byte[] make(String key, long attempt, int size) {
    byte[] out = new byte[Math.max(MIN_BYTES, size)];
    byte[] head = (crcHex(key) + "#" + Long.toString(attempt, 36) + "|").getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(head, 0, out, 0, Math.min(head.length, out.length));
    for (int i = head.length; i < out.length; i++) {
      out[i] = (byte) ('a' + (i + attempt) % 26);
    }
    return out;
  }

  /** 70% up to 256 B, 25% up to 4 KiB, 5% up to {@code max}. */
  public static int randomSize(Random random, int max) {
    double p = random.nextDouble();
    int hi = p < 0.70 ? 256 : p < 0.95 ? 4096 : max;
    hi = Math.max(MIN_BYTES, Math.min(hi, max));
    return MIN_BYTES + random.nextInt(hi - MIN_BYTES + 1);
  }

  public static boolean belongsTo(byte[] value, String key) {
    return value != null && value.length >= 8
        && Arrays.equals(value, 0, 8, crcHex(key).getBytes(StandardCharsets.US_ASCII), 0, 8);
  }

  private static String crcHex(String key) {
    CRC32 crc = new CRC32();
    crc.update(key.getBytes(StandardCharsets.UTF_8));
    return String.format("%08x", crc.getValue());
  }
}
