package io.kvpipe.node.shard;

import io.kvpipe.common.Keys;
import io.kvpipe.common.Versions;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A checked {@link Command.PutAll}: every pair put unconditionally at one version, each an ordinary client change
 * event (seq 0..n-1 at the entry's log index). {@link #prepare} does every check and the lookups the events need, so
 * {@link #apply} cannot fail half-way: the load is all or nothing.
 */
final class BulkLoad {
  private final ShardState state;
  private final List<Command.KeyValue> pairs;
  private final ShardStore.Slot[] slots;
  /** With CDC on: each key's record before the load, and its key as text (both also size the events). */
  private final ShardStore.Rec[] before;
  private final String[] keys;

  private BulkLoad(ShardState state, List<Command.KeyValue> pairs, ShardStore.Slot[] slots, ShardStore.Rec[] before,
                   String[] keys) {
    this.state = state;
    this.pairs = pairs;
    this.slots = slots;
    this.before = before;
    this.keys = keys;
  }

  /**
   * Checks the pairs against the current state: valid keys, values within {@code maxValueBytes}, the whole request
   * within the bulk bound, no key twice, every key owned, and (with CDC on) room in the outbox for every event.
   */
  static BulkLoad prepare(ShardState state, List<Command.KeyValue> pairs, int maxValueBytes, LogStamp stamp) {
    int n = pairs.size();
    BulkChecks.checkCount(n);
    long payload = 0;
    ShardStore.Slot[] slots = new ShardStore.Slot[n];
    for (int i = 0; i < n; i++) {
      Command.KeyValue kv = pairs.get(i);
      BulkChecks.checkKey(kv.key());
      Keys.validateValue(kv.value(), maxValueBytes);
      payload += BulkChecks.recordBytes(kv.key(), kv.value());
      slots[i] = ShardStore.slot(kv.key());
    }
    BulkChecks.checkPayload(payload, maxValueBytes);
    int dup = BulkChecks.firstDuplicate(slots);
    if (dup >= 0) {
      // One version for two values of a key would leave the archive unable to tell which one is current.
      throw new KvException(ErrorCode.MALFORMED_REQUEST,
          "key " + new String(slots[dup].key(), StandardCharsets.UTF_8) + " appears twice in one bulk load");
    }
    for (ShardStore.Slot s : slots) {
      state.checks().checkOwned(s.position());
    }
    if (!stamp.cdcEnabled()) {
      return new BulkLoad(state, pairs, slots, null, null);
    }
    ShardStore.Rec[] before = new ShardStore.Rec[n];
    String[] keys = new String[n];
    long eventBytes = 0;
    for (int i = 0; i < n; i++) {
      ShardStore.Rec found = state.store().get(slots[i]);
      // A record past its deadline at this entry's stamp is no live value (docs/ttl.md).
      before[i] = found != null && found.liveAt(stamp.tsMs()) ? found : null;
      keys[i] = new String(slots[i].key(), StandardCharsets.UTF_8);
      eventBytes += Outbox.sizeOf(keys[i], liveValue(before[i]), pairs.get(i).value());
    }
    if (!state.outbox().hasRoom(stamp.outboxMaxEvents(), stamp.outboxMaxBytes(), n, eventBytes)) {
      throw state.checks().backlogFull();
    }
    return new BulkLoad(state, pairs, slots, before, keys);
  }

  private static byte[] liveValue(ShardStore.Rec r) {
    return r == null ? null : r.value();
  }

  /** Applies the checked load at {@code index}; only valid right after {@link #prepare} on the apply thread. */
  Reply apply(long index, long term, LogStamp stamp) {
    long epoch = state.ownership().epoch();
    long version = Versions.of(epoch, index);
    if (keys != null) {
      List<ChangeEvent> events = new ArrayList<>(slots.length);
      for (int i = 0; i < slots.length; i++) {
        byte[] previous = liveValue(before[i]);
        events.add(new ChangeEvent(previous == null ? Op.CREATE : Op.UPDATE, keys[i], previous,
            pairs.get(i).value(), stamp.tsMs(), state.group(), index, i, term, epoch, version, Origin.CLIENT));
      }
      state.outbox().appendAll(events);
    }
    for (int i = 0; i < slots.length; i++) {
      state.store().put(slots[i], new ShardStore.Rec(pairs.get(i).value(), version));
    }
    return new Reply.Written(version, null);
  }
}
