package io.kvpipe.consumer;

/** A record that cannot be archived, kept whole with where it came from and why it was refused. */
public record DeadLetter(String topic, int partition, long offset, byte[] recordKey, byte[] recordValue,
                         long recordTimeMs, String reason) {
  static final int MAX_REASON_CHARS = 1000;

  public DeadLetter {
    if (reason.length() > MAX_REASON_CHARS) {
      reason = reason.substring(0, MAX_REASON_CHARS - 3) + "...";
    }
  }
}
