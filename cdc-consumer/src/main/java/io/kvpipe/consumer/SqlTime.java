package io.kvpipe.consumer;

/**
 * Epoch milliseconds as a UTC {@code 'yyyy-MM-dd HH:mm:ss.SSS'} string. Times are bound as strings because MySQL
 * Connector/J talking to MariaDB drops the fractional seconds of temporal parameters. Allocation-light: runs per row.
 */
final class SqlTime {
  /** 1000-01-01 00:00:00.000 UTC: the first instant MySQL documents for DATETIME. */
  static final long MIN_MS = -30_610_224_000_000L;
  /** 9999-12-31 23:59:59.999 UTC: the last. */
  static final long MAX_MS = 253_402_300_799_999L;

  private SqlTime() {}

  /** Whether a DATETIME(3) column holds this instant on MySQL and MariaDB alike. */
  static boolean inRange(long epochMs) {
    return epochMs >= MIN_MS && epochMs <= MAX_MS;
  }

  static String utc(long epochMs) {
    long days = Math.floorDiv(epochMs, 86_400_000L);
    long msOfDay = Math.floorMod(epochMs, 86_400_000L);
    // Civil-from-days (proleptic Gregorian), valid for any epoch day.
    long z = days + 719_468;
    long era = Math.floorDiv(z, 146_097);
    long doe = z - era * 146_097;
    long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long day = doy - (153 * mp + 2) / 5 + 1;
    long month = mp < 10 ? mp + 3 : mp - 9;
    long year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    char[] c = new char[23];
    pad(c, 0, year, 4);
    c[4] = '-';
    pad(c, 5, month, 2);
    c[7] = '-';
    pad(c, 8, day, 2);
    c[10] = ' ';
    pad(c, 11, msOfDay / 3_600_000, 2);
    c[13] = ':';
    pad(c, 14, msOfDay / 60_000 % 60, 2);
    c[16] = ':';
    pad(c, 17, msOfDay / 1000 % 60, 2);
    c[19] = '.';
    pad(c, 20, msOfDay % 1000, 3);
    return new String(c);
  }

  private static void pad(char[] c, int at, long v, int width) {
    if (v < 0 || v >= Math.pow(10, width)) {
      throw new IllegalArgumentException("time out of the range MySQL stores: field value " + v);
    }
    for (int i = at + width - 1; i >= at; i--) {
      c[i] = (char) ('0' + v % 10);
      v /= 10;
    }
  }
}
