package io.kvpipe.common.event;

import java.util.Arrays;
import java.util.Objects;

/**
 * One committed change of one key, as published to Kafka. Its identity is {@code (group, logIndex, seq)}: a
 * republished event carries the same identity, which is what makes the archive exactly-once.
 *
 * @param before the value before the change, or null if the key had no live value
 * @param after the value after the change, or null for a delete
 * @param tsMs the leader's commit time (informational: ordering always uses {@code version})
 * @param seq the event's position among the events of its log entry: 0 for a single-key write, 0..N-1 for the N
 *     events of an entry that changes many keys (a bulk load, a migration copy, the {@code r} events of a snapshot)
 * @param txn whether the change is one of a client transaction's ({@code POST /v1/txn}): then every change of its
 *     log entry is, and they were applied all or nothing; group-committed writes also share an entry, but are not
 */
public record ChangeEvent(
    Op op,
    String key,
    byte[] before,
    byte[] after,
    long tsMs,
    String group,
    long logIndex,
    int seq,
    long term,
    long epoch,
    long version,
    Origin origin,
    boolean txn) {

  public ChangeEvent {
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(origin, "origin");
    if (seq < 0) {
      throw new MalformedEventException("seq must not be negative, got " + seq);
    }
    if (op == Op.DELETE && after != null) {
      throw new MalformedEventException("a delete has no 'after' value");
    }
    if (op != Op.DELETE && after == null) {
      throw new MalformedEventException("op '" + op.code() + "' needs an 'after' value");
    }
  }

  /** A change outside any client transaction. */
  public ChangeEvent(Op op, String key, byte[] before, byte[] after, long tsMs, String group, long logIndex, int seq,
                     long term, long epoch, long version, Origin origin) {
    this(op, key, before, after, tsMs, group, logIndex, seq, term, epoch, version, origin, false);
  }

  /** An event that is alone in its log entry (seq 0): a single-key client write. */
  public ChangeEvent(Op op, String key, byte[] before, byte[] after, long tsMs, String group, long logIndex, long term,
                     long epoch, long version, Origin origin) {
    this(op, key, before, after, tsMs, group, logIndex, 0, term, epoch, version, origin, false);
  }

  /** The transaction's id, {@code <group>:<log index>} (its log entry), or null outside a client transaction. */
  public String txnId() {
    return txn ? group + ":" + logIndex : null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChangeEvent e
        && op == e.op && key.equals(e.key) && Arrays.equals(before, e.before) && Arrays.equals(after, e.after)
        && tsMs == e.tsMs && group.equals(e.group) && logIndex == e.logIndex && seq == e.seq && term == e.term
        && epoch == e.epoch && version == e.version && origin == e.origin && txn == e.txn;
  }

  @Override
  public int hashCode() {
    return Objects.hash(group, logIndex, seq, version);
  }

  @Override
  public String toString() {
    return "ChangeEvent[" + op.code() + " " + key + " " + group + "@" + logIndex + (seq == 0 ? "" : "." + seq)
        + " v" + version + " " + origin.code() + (txn ? " txn" : "") + "]";
  }
}
