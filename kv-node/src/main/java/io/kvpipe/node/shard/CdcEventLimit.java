package io.kvpipe.node.shard;

import io.kvpipe.common.Limits;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.event.DebeziumEnvelope;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Request;
import java.util.List;
import io.kvpipe.common.wire.Entry;

/**
 * The leader's check that every change event a command would make can be published: Kafka refuses a record larger
 * than the topic's {@code max.message.bytes} (or the producer's {@code max.request.size}) for good, and an event that
 * can never be published would hold the group's CDC back forever. Run on the leader before replication, beside
 * {@link ShardState#validate}; read-only.
 *
 * <p>A value must fit the limit with a value of the same cap before it (so a write racing this one cannot make its
 * event too large); a key whose current value is larger than that (written under a larger limit) is checked with its
 * actual value, which may refuse its update or delete: the message says how to raise the topic's limit.
 */
final class CdcEventLimit {
  private CdcEventLimit() {}

  static void check(ShardState state, Command command, EventLimit limit) {
    long max = limit.maxEventBytes();
    if (max == Long.MAX_VALUE) {
      return;
    }
    DebeziumEnvelope envelope = limit.envelope();
    int valueCap = envelope.largestValueFor(max, Limits.MAX_KEY_BYTES);
    switch (command) {
      case Command.Put p -> checkWrite(state, p.key(), p.value(), max, valueCap, limit);
      case Command.Delete d -> checkWrite(state, d.key(), null, max, valueCap, limit);
      case Command.SetTtl t -> {
        // Its u event carries the current value twice: as a write of that value, it must fit like one.
        ShardStore.Rec current = state.store().get(ShardStore.slot(t.key()));
        if (current != null && current.live()) {
          checkWrite(state, t.key(), current.value(), max, valueCap, limit);
        }
      }
      case Command.Batch b -> {
        // One op over the limit refuses the batch before it is logged; the client then sends each op alone.
        for (Command op : b.ops()) {
          check(state, op, limit);
        }
      }
      case Command.Txn t -> {
        // Both branches: which one runs is decided at apply.
        for (List<Request> branch : List.of(t.success(), t.failure())) {
          for (Request op : branch) {
            if (op instanceof Command write) {
              check(state, write, limit);
            }
          }
        }
      }
      case Command.PutAll p -> {
        for (Command.KeyValue kv : p.pairs()) {
          checkWrite(state, kv.key(), kv.value(), max, valueCap, limit);
        }
      }
      case Command.MigrateIn m -> {
        for (Entry e : m.entries()) {
          checkWrite(state, e.key(), e.value(), max, valueCap, limit);
        }
      }
      case Command.PublishSnapshot s -> {
        for (var e : state.store().all()) {
          ShardStore.Rec rec = e.getValue();
          if (rec.live() && envelope.maxEncodedSize(e.getKey().key().length, -1, rec.value().length) > max) {
            throw new KvException(ErrorCode.VALUE_TOO_LARGE, "the value of a live key is " + rec.value().length
                + " bytes: its snapshot event would be larger than the " + max + " bytes allowed: " + limit.explain());
          }
        }
      }
      default -> {
        // No change events.
      }
    }
  }

  private static void checkWrite(ShardState state, byte[] key, byte[] value, long max, int valueCap,
                                 EventLimit limit) {
    if (value != null && value.length > valueCap) {
      throw new KvException(ErrorCode.VALUE_TOO_LARGE, "value is " + value.length + " bytes; values are limited to "
          + Math.max(0, valueCap) + " bytes here because change events (the old and the new value, base64) must"
          + " stay within " + max + " bytes: " + limit.explain());
    }
    ShardStore.Rec current = state.store().get(ShardStore.slot(key));
    int before = current != null && current.live() ? current.value().length : -1;
    long size = limit.envelope().maxEncodedSize(key.length, Math.max(before, valueCap),
        value == null ? -1 : value.length);
    if (before > valueCap && size > max) {
      throw new KvException(ErrorCode.VALUE_TOO_LARGE, "the key's current value is " + before + " bytes (written"
          + " under a larger limit): the change event of this " + (value == null ? "delete" : "write") + " would be "
          + size + " bytes, more than the " + max + " bytes allowed: " + limit.explain());
    }
  }
}
