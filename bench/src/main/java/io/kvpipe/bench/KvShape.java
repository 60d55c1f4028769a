package io.kvpipe.bench;

/**
 * The keys and values of issue 18's measurements, the same for every benchmark and for scripts/wrk/kv.lua: 16-byte
 * keys {@code key-000000000000}, {@code key-000000000001}, ... and values of printable bytes.
 */
final class KvShape {
  private KvShape() {}

  static String key(long n) {
    return String.format("key-%012d", n);
  }

  /** The value kv.lua sends: byte i (from 1) is {@code 'a' + (7 i mod 26)}, so etcd and kvpipe store equal bytes. */
  static byte[] value(int bytes) {
    byte[] v = new byte[bytes];
    for (int i = 1; i <= bytes; i++) {
      v[i - 1] = (byte) ('a' + (i * 7) % 26);
    }
    return v;
  }
}
