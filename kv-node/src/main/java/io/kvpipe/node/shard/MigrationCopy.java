package io.kvpipe.node.shard;

import io.kvpipe.common.Keys;
import io.kvpipe.common.Versions;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A checked {@link Command.MigrateIn}: records copied from the group a key range moves away from. Each record (a
 * tombstone when its value is null) is taken with its own version only if this group has no record of the key or an
 * older one, so a write or delete made here after the fence always wins over the copy, and copying twice changes
 * nothing. Taken records become change events with origin migration (seq 0..k-1 among them).
 */
final class MigrationCopy {
  private final ShardState state;
  private final List<Entry> entries;
  private final ShardStore.Slot[] slots;

  private MigrationCopy(ShardState state, List<Entry> entries, ShardStore.Slot[] slots) {
    this.state = state;
    this.entries = entries;
    this.slots = slots;
  }

  /**
   * Checks the records against the current state: valid keys, values within {@code maxValueBytes}, versions positive
   * and from no later epoch than this group's (a copy must never outrank the writes this group makes at its epoch),
   * the request within the bulk bound, every key owned (else nothing is taken), and with CDC on an outbox no more
   * than half full (copies leave the other half to client writes).
   */
  static MigrationCopy check(ShardState state, List<Entry> entries, int maxValueBytes, LogStamp stamp) {
    int n = entries.size();
    BulkChecks.checkCount(n);
    long epoch = state.ownership().epoch();
    long payload = 0;
    ShardStore.Slot[] slots = new ShardStore.Slot[n];
    for (int i = 0; i < n; i++) {
      Entry e = entries.get(i);
      BulkChecks.checkKey(e.key());
      if (e.value() != null) {
        Keys.validateValue(e.value(), maxValueBytes);
      }
      if (e.version() <= Versions.NONE) {
        throw new KvException(ErrorCode.MALFORMED_REQUEST, "record " + i + " has no valid version: " + e.version());
      }
      if (Versions.epoch(e.version()) > epoch) {
        throw new KvException(ErrorCode.CONFLICT, "record " + i + " has a version of epoch "
            + Versions.epoch(e.version()) + ", later than the group's epoch " + epoch + " (set its ownership first)");
      }
      payload += BulkChecks.recordBytes(e.key(), e.value());
      slots[i] = ShardStore.slot(e.key());
    }
    BulkChecks.checkPayload(payload, maxValueBytes);
    for (ShardStore.Slot s : slots) {
      state.checks().checkOwned(s.position());
    }
    if (stamp.cdcEnabled() && state.outbox().isOverHalf(stamp.outboxMaxEvents(), stamp.outboxMaxBytes())) {
      throw new KvException(ErrorCode.CDC_BACKLOG_FULL, "group " + state.group() + ": " + state.outbox().size()
          + " change events (" + state.outbox().bytes() + " bytes) wait for the CDC publisher, over half its bound;"
          + " migration copies wait until it drains");
    }
    return new MigrationCopy(state, entries, slots);
  }

  /** Applies the checked copy at {@code index}; only valid right after {@link #check} on the apply thread. */
  Reply apply(long index, long term, LogStamp stamp) {
    long epoch = state.ownership().epoch();
    ShardStore.Rec[] copies = new ShardStore.Rec[slots.length];
    for (int i = 0; i < slots.length; i++) {
      Entry e = entries.get(i);
      // The deadline travels with the record: the new owner expires the key exactly when the old one would have.
      copies[i] = new ShardStore.Rec(e.value(), e.version(), e.value() == null ? io.kvpipe.common.Ttl.NONE
          : e.expiresAtMs());
    }
    ShardStore.Taken taken = state.store().putNewer(slots, copies, stamp.cdcEnabled());
    List<ChangeEvent> events = stamp.cdcEnabled() ? new ArrayList<>(slots.length) : null;
    int applied = 0;
    for (int i = 0; i < slots.length; i++) {
      if (!taken.taken()[i]) {
        continue;
      }
      if (events != null) {
        Entry e = entries.get(i);
        ShardStore.Rec current = taken.previous()[i];
        byte[] before = current == null ? null : current.value();
        Op op = e.value() == null ? Op.DELETE : before == null ? Op.CREATE : Op.UPDATE;
        events.add(new ChangeEvent(op, new String(e.key(), StandardCharsets.UTF_8), before, e.value(), stamp.tsMs(),
            state.group(), index, events.size(), term, epoch, e.version(), Origin.MIGRATION));
      }
      applied++;
    }
    if (events != null) {
      state.outbox().appendAll(events);
    }
    return new Reply.Migrated(applied, slots.length - applied);
  }
}
