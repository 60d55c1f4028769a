package io.kvpipe.node.shard;

import io.kvpipe.common.Ttl;
import io.kvpipe.common.ring.HashRange;
import io.kvpipe.node.shard.ShardStore.Rec;
import io.kvpipe.node.shard.ShardStore.Slot;
import java.util.Arrays;
import java.util.Map;

/**
 * How {@link ShardStore} packs its records into {@link PackedMap} entries: a {@link Slot} as the records index's key
 * (ordered as the store is) and a {@link Rec} as its payload. One place for the byte layout, so the store reads as
 * indexes and rules, not byte offsets.
 */
final class StoreCodec {
  /** A packed record's first byte: bit 0 live (a value follows the header), bit 1 a deadline follows the version. */
  private static final int LIVE = 1;
  private static final int DEADLINE = 2;

  /** A live record's value when the caller asked for none. */
  private static final byte[] NO_VALUE = new byte[0];

  private StoreCodec() {}

  /** Bytes of a ring position in a packed slot: positions are 32-bit hashes ({@link HashRange#RING_SIZE}). */
  static final int POSITION_BYTES = 4;

  /**
   * A slot as the records index's key: the position, unsigned big-endian in {@value #POSITION_BYTES} bytes (so the
   * bytes' unsigned order is the positions' order), then the key bytes. Positions are below 2^32, so 4 bytes hold
   * them, where a long took 8: 4 B less per record, ~4 MB of heap at 1M records (issue 15).
   */
  static byte[] packSlot(long position, byte[] key) {
    if (position < 0 || position >= HashRange.RING_SIZE) {
      throw new IllegalArgumentException("ring position out of range: " + position);
    }
    byte[] out = new byte[POSITION_BYTES + key.length];
    for (int i = POSITION_BYTES - 1; i >= 0; i--) {
      out[i] = (byte) position;
      position >>>= 8;
    }
    System.arraycopy(key, 0, out, POSITION_BYTES, key.length);
    return out;
  }

  /**
   * The records index's bound for "every slot before ring position {@code end}": the packed slot of {@code end} with
   * no key, or null (unbounded) for the end of the ring, which 4 bytes cannot hold.
   */
  static byte[] slotsBefore(long end) {
    return end == HashRange.RING_SIZE ? null : packSlot(end, new byte[0]);
  }

  static Slot unpackSlot(PackedMap.View v) {
    byte[] packed = v.key();
    long position = 0;
    for (int i = 0; i < POSITION_BYTES; i++) {
      position = (position << 8) | (packed[i] & 0xFF);
    }
    return new Slot(position, Arrays.copyOfRange(packed, POSITION_BYTES, packed.length));
  }

  /**
   * {@code [flags][version, unsigned varint][deadline, 8 B, if any][value]}. The version is a log index, a few bytes
   * as a varint where a fixed long took 8: ~5 B less per record, ~5 MB of heap at 1M records (issue 15).
   */
  static byte[] packRec(Rec r) {
    boolean deadline = r.expiresAtMs() != Ttl.NONE;
    int valueLen = r.live() ? r.value().length : 0;
    int versionLen = Varints.size(r.version());
    byte[] out = new byte[1 + versionLen + (deadline ? 8 : 0) + valueLen];
    out[0] = (byte) ((r.live() ? LIVE : 0) | (deadline ? DEADLINE : 0));
    int p = Varints.write(out, 1, r.version());
    if (deadline) {
      putLong(out, p, r.expiresAtMs());
      p += 8;
    }
    if (r.live()) {
      System.arraycopy(r.value(), 0, out, p, valueLen);
    }
    return out;
  }

  static Rec unpackRec(PackedMap.View v) {
    return unpackRec(v, true);
  }

  /** Without {@code value}: a live record's value is an empty placeholder (for bookkeeping that needs no value). */
  static Rec unpackRec(PackedMap.View v, boolean withValue) {
    byte[] d = v.data();
    int p = v.payloadOff();
    int flags = d[p];
    long version = Varints.read(d, p + 1);
    int q = p + 1 + Varints.size(version);
    long deadline = Ttl.NONE;
    if ((flags & DEADLINE) != 0) {
      deadline = getLong(d, q);
      q += 8;
    }
    byte[] value = (flags & LIVE) == 0 ? null : withValue ? Arrays.copyOfRange(d, q, p + v.payloadLen()) : NO_VALUE;
    return new Rec(value, version, deadline);
  }

  private static void putLong(byte[] b, int p, long v) {
    for (int i = 7; i >= 0; i--) {
      b[p + i] = (byte) v;
      v >>>= 8;
    }
  }

  private static long getLong(byte[] b, int p) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[p + i] & 0xFF);
    }
    return v;
  }

  static Map.Entry<Slot, Rec> unpack(PackedMap.View v) {
    return Map.entry(unpackSlot(v), unpackRec(v));
  }
}
