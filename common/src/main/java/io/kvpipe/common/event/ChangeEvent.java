package io.kvpipe.common.event;

import java.util.Arrays;
import java.util.Objects;

/**
 * One committed change of one key, as published to Kafka. Its identity is {@code (group, logIndex)}: a republished
 * event carries the same identity, which is what makes the archive exactly-once.
 *
 * @param before the value before the change, or null if the key had no live value
 * @param after the value after the change, or null for a delete
 * @param tsMs the leader's commit time (informational: ordering always uses {@code version})
 */
public record ChangeEvent(
    Op op,
    String key,
    byte[] before,
    byte[] after,
    long tsMs,
    String group,
    long logIndex,
    long term,
    long epoch,
    long version,
    Origin origin) {

  public ChangeEvent {
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(origin, "origin");
    if (op == Op.DELETE && after != null) {
      throw new MalformedEventException("a delete has no 'after' value");
    }
    if (op != Op.DELETE && after == null) {
      throw new MalformedEventException("op '" + op.code() + "' needs an 'after' value");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChangeEvent e
        && op == e.op && key.equals(e.key) && Arrays.equals(before, e.before) && Arrays.equals(after, e.after)
        && tsMs == e.tsMs && group.equals(e.group) && logIndex == e.logIndex && term == e.term
        && epoch == e.epoch && version == e.version && origin == e.origin;
  }

  @Override
  public int hashCode() {
    return Objects.hash(group, logIndex, version);
  }

  @Override
  public String toString() {
    return "ChangeEvent[" + op.code() + " " + key + " " + group + "@" + logIndex + " v" + version + " " + origin.code()
        + "]";
  }
}
