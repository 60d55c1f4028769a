package io.kvpipe.consumer;

/**
 * Where an assigned partition resumes, decided from the offset stored in MySQL and the range Kafka still holds. The
 * consumer never lets Kafka pick (its {@code auto.offset.reset} is {@code none}): a stored offset outside the retained
 * range means records were deleted before they were archived (retention, {@code deleteRecords}) or the partition lost
 * records (topic recreated, unclean leader election). Moving on would skip events silently, so the partition stops
 * until an operator names the offset to resume from ({@code --reset-offsets}). Pure; see {@link #decide}.
 */
sealed interface StartPosition {
  /** Resume at the stored offset (it is inside the retained range). */
  record Stored(long offset) implements StartPosition {}

  /** Never archived: read the whole retained partition. */
  record FromBeginning() implements StartPosition {}

  /** The operator's reset applies: the offsets {@code from..to-1} will never be archived. */
  record Reset(long from, long to) implements StartPosition {}

  /** Out of range and no applicable reset: the partition stays paused. {@code reason} is for logs and readiness. */
  record Stopped(long stored, long logStart, long logEnd, String reason) implements StartPosition {}

  /**
   * The start of one partition.
   *
   * @param stored the next offset stored in MySQL, or null if the partition was never archived
   * @param logStart the partition's first retained offset
   * @param logEnd the partition's end offset (next offset to be written)
   * @param reset the operator's {@code --reset-offsets} target for this partition, or null. It applies only to a stored
   *     offset that is out of range and only to a target inside the retained range, so a flag left in place never
   *     moves a healthy partition and never skips again after a later gap (the old target is then below the new log
   *     start)
   */
  static StartPosition decide(Long stored, long logStart, long logEnd, Long reset) {
    if (stored == null) {
      return new FromBeginning();
    }
    if (stored >= logStart && stored <= logEnd) {
      return new Stored(stored);
    }
    if (reset != null && reset >= logStart && reset <= logEnd) {
      return new Reset(stored, reset);
    }
    String why = stored < logStart
        ? "stored offset " + stored + " is below the log start " + logStart + ": the " + (logStart - stored)
            + " records at offsets " + stored + ".." + (logStart - 1) + " were deleted (retention) before they were"
            + " archived"
        : "stored offset " + stored + " is past the log end " + logEnd
            + ": the partition lost records or the topic was recreated";
    String ignored = reset == null ? ""
        : "; --reset-offsets target " + reset + " ignored: not within the retained range " + logStart + ".." + logEnd;
    return new Stopped(stored, logStart, logEnd, why + ignored);
  }
}
