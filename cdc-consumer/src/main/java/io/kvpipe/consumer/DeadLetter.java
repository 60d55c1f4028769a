package io.kvpipe.consumer;

import java.util.Arrays;

/** A record that cannot be archived, kept whole with where it came from and why it was refused. */
public record DeadLetter(String topic, int partition, long offset, byte[] recordKey, byte[] recordValue,
                         long recordTimeMs, String reason) {
  static final int MAX_REASON_CHARS = 1000;
  /** {@code kv_dead_letter.record_key} is a BLOB. */
  static final int MAX_TABLE_KEY_BYTES = 65_535;

  public DeadLetter {
    if (reason.length() > MAX_REASON_CHARS) {
      reason = reason.substring(0, MAX_REASON_CHARS - 3) + "...";
    }
  }

  /** The same letter with {@code note} in front of its reason (so a long reason cannot cut the note off). */
  DeadLetter withNote(String note) {
    return new DeadLetter(topic, partition, offset, recordKey, recordValue, recordTimeMs, "[" + note + "] " + reason);
  }

  /**
   * The letter as the table can hold it: a record key longer than the column is cut, and the reason says so (the
   * whole record stays in Kafka at topic/partition/offset, and normally on the dead-letter topic).
   */
  DeadLetter fitTable() {
    if (recordKey == null || recordKey.length <= MAX_TABLE_KEY_BYTES) {
      return this;
    }
    return new DeadLetter(topic, partition, offset, Arrays.copyOf(recordKey, MAX_TABLE_KEY_BYTES), recordValue,
        recordTimeMs, reason).withNote("record key truncated to " + MAX_TABLE_KEY_BYTES + " of " + recordKey.length
        + " bytes");
  }
}
