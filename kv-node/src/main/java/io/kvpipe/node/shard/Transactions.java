package io.kvpipe.node.shard;

import io.kvpipe.common.Keys;
import io.kvpipe.common.Versions;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Request;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The rules of a {@link Command.Txn} that do not depend on the group's state: its shape, and what a compare means. */
final class Transactions {
  private Transactions() {}

  /**
   * Refuses (MALFORMED_REQUEST, VALUE_TOO_LARGE, INVALID_KEY) a transaction no state could apply: a bad key or value,
   * a conditional op (conditions belong in the compares, so a branch cannot fail half way), a key written twice in
   * one branch (both writes would get the entry's version), more bytes than a bulk request may carry.
   */
  static void checkWellFormed(Command.Txn t, int maxValueBytes) {
    long bytes = 0;
    for (Command.Compare c : t.compares()) {
      BulkChecks.checkKey(c.key());
      if (c.target() == Command.Compare.Target.VALUE) {
        Keys.validateValue(c.value(), maxValueBytes);
      }
      if (c.target() == Command.Compare.Target.VERSION && c.version() < Versions.NONE) {
        throw new KvException(ErrorCode.MALFORMED_REQUEST, "a version compare needs a version >= 0, got "
            + c.version());
      }
      bytes += BulkChecks.recordBytes(c.key(), c.value());
    }
    for (List<Request> branch : List.of(t.success(), t.failure())) {
      Set<ByteBuffer> written = new HashSet<>();
      for (Request op : branch) {
        byte[] key = Command.Txn.keyOf(op);
        BulkChecks.checkKey(key);
        byte[] value = null;
        long expected = Request.ANY_VERSION;
        if (op instanceof Command.Put p) {
          value = p.value();
          Keys.validateValue(value, maxValueBytes);
          expected = p.expectedVersion();
        } else if (op instanceof Command.Delete d) {
          expected = d.expectedVersion();
        }
        if (expected != Request.ANY_VERSION) {
          throw new KvException(ErrorCode.MALFORMED_REQUEST,
              "a transaction's puts and deletes are unconditional: put conditions in its compares");
        }
        if (!(op instanceof io.kvpipe.common.wire.Query.Get) && !written.add(ByteBuffer.wrap(key))) {
          throw new KvException(ErrorCode.MALFORMED_REQUEST, "a transaction branch writes the key '"
              + Keys.validateKey(key) + "' twice");
        }
        bytes += BulkChecks.recordBytes(key, value);
      }
    }
    BulkChecks.checkPayload(bytes, maxValueBytes);
  }

  /**
   * Whether {@code c} holds for the key's record {@code rec} (null: none; a tombstone, or a record past its TTL
   * deadline at {@code nowMs}, the entry's stamp, is no live value).
   */
  static boolean holds(Command.Compare c, ShardStore.Rec rec, long nowMs) {
    boolean live = rec != null && rec.liveAt(nowMs);
    return switch (c.target()) {
      case EXISTS -> live;
      case MISSING -> !live;
      case VERSION -> (live ? rec.version() : Versions.NONE) == c.version();
      case VALUE -> live && Arrays.equals(rec.value(), c.value());
    };
  }
}
