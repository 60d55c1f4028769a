package io.kvpipe.consumer;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.LegacyEnvelope;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import java.nio.charset.StandardCharsets;

/** Hand-made change events for tests. Versions are given explicitly so tests control their order. */
final class Events {
  static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

  private Events() {}

  static byte[] b(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  static ChangeEvent set(String group, long index, String key, String value, long version) {
    return new ChangeEvent(Op.UPDATE, key, null, b(value), T0 + index, group, index, 1, 1, version, Origin.CLIENT);
  }

  static ChangeEvent delete(String group, long index, String key, long version) {
    return new ChangeEvent(Op.DELETE, key, null, null, T0 + index, group, index, 1, 1, version, Origin.CLIENT);
  }

  /** The {@code seq}-th r event of a snapshot at log {@code index}: a key's live value at its own version. */
  static ChangeEvent snapshotRead(String group, long index, int seq, String key, String value, long version) {
    return new ChangeEvent(Op.READ, key, null, b(value), T0 + index, group, index, seq, 1, 1, version,
        Origin.SNAPSHOT);
  }

  static ChangeEvent withOrigin(ChangeEvent e, Op op, Origin origin) {
    return new ChangeEvent(op, e.key(), e.before(), e.after(), e.tsMs(), e.group(), e.logIndex(), e.term(), e.epoch(),
        e.version(), origin);
  }

  static ArchiveEvent archive(ChangeEvent e) {
    return new ArchiveEvent(e, b(e.key()));
  }

  static byte[] encode(ChangeEvent e) {
    return LegacyEnvelope.encode(e);
  }
}
