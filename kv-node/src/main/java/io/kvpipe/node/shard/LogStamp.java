package io.kvpipe.node.shard;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.nio.ByteBuffer;

/**
 * What the leader adds to every client command before it enters the Raft log: its wall-clock time (the event's
 * ts_ms) and its CDC settings (on/off, outbox bounds). Apply decisions that depend on them then read them from the
 * log, so every replica decides the same even if the nodes' own configurations differ.
 *
 * <p>Log data layout: stamp format byte, ts_ms, cdc flag, outbox max events, outbox max bytes, then the encoded
 * command.
 */
record LogStamp(long tsMs, boolean cdcEnabled, int outboxMaxEvents, long outboxMaxBytes) {
  static final int FORMAT = 1;
  static final int SIZE = 1 + 8 + 1 + 4 + 8;

  /** Prefixes the encoded command with this stamp. */
  byte[] wrap(byte[] command) {
    ByteBuffer b = ByteBuffer.allocate(SIZE + command.length);
    b.put((byte) FORMAT).putLong(tsMs).put((byte) (cdcEnabled ? 1 : 0)).putInt(outboxMaxEvents)
        .putLong(outboxMaxBytes).put(command);
    return b.array();
  }

  /** This stamp at another time (the same CDC settings). */
  LogStamp at(long otherTsMs) {
    return new LogStamp(otherTsMs, cdcEnabled, outboxMaxEvents, outboxMaxBytes);
  }

  /** Reads the stamp and leaves {@code data} positioned at the command. */
  static LogStamp read(ByteBuffer data) {
    if (data.remaining() < SIZE || data.get() != FORMAT) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "log entry without a valid stamp");
    }
    long ts = data.getLong();
    boolean cdc = data.get() == 1;
    int maxEvents = data.getInt();
    long maxBytes = data.getLong();
    return new LogStamp(ts, cdc, maxEvents, maxBytes);
  }
}
