package io.kvpipe.consumer;

import io.kvpipe.common.Keys;
import io.kvpipe.common.Limits;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.ChangeEventCodec;
import io.kvpipe.common.event.DebeziumEnvelope;
import io.kvpipe.common.event.EnvelopeFormat;
import io.kvpipe.common.event.MalformedEventException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

/**
 * Splits a poll into archivable events, skipped tombstones and dead letters. Each record is read in the envelope
 * format its {@value EnvelopeFormat#HEADER} header names; a record without one predates the header and is told apart
 * by shape (format 1 or 2, docs/events.md). A null value with format 2's header is the tombstone the publisher puts
 * after a delete: its key must still be a valid key struct, and it is counted and skipped. An event is dead-lettered when it does not decode, when the
 * record key differs from the event's key, or when it breaks a limit the schema relies on (key size and encoding,
 * group id shape, value size, an event time DATETIME holds): such an event could never be stored faithfully, and it must not block its partition.
 * Thread-safe; its only state is a cache of group ids already validated.
 */
public final class EventDecoder {
  /**
   * A shard group's Raft name: its id (the topology's rule), followed by {@code .<incarnation>} for a group added after
   * the bootstrap (ShardGroup.raftName). The schema stores it as ASCII of at most 63 characters.
   */
  private static final Pattern GROUP_ID = Pattern.compile("(?=.{1,63}$)[A-Za-z0-9][A-Za-z0-9_-]*(\\.[1-9][0-9]{0,18})?");

  private static final int MAX_REMEMBERED_GROUPS = 1024;
  /** Group ids that matched {@link #GROUP_ID}. */
  private final Set<String> validGroups = ConcurrentHashMap.newKeySet();

  public ArchiveBatch decode(ConsumerRecords<byte[], byte[]> records) {
    return decode(records, records.partitions());
  }

  /** Decodes the records of {@code partitions} only (a share of a poll written by one transaction). */
  public ArchiveBatch decode(ConsumerRecords<byte[], byte[]> records, Collection<TopicPartition> partitions) {
    List<ArchiveEvent> events = new ArrayList<>(records.count());
    List<DeadLetter> dead = new ArrayList<>();
    Map<TopicPartition, Long> next = new HashMap<>();
    int tombstones = 0;
    for (TopicPartition tp : partitions) {
      long last = -1;
      for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
        last = r.offset();
        try {
          EnvelopeFormat format = EnvelopeFormat.fromHeader(headerValue(r));
          if (r.value() == null && isTombstone(r.key(), format)) {
            tombstones++;
          } else {
            events.add(decode(r.key(), r.value(), format));
          }
        } catch (MalformedEventException e) {
          dead.add(new DeadLetter(r.topic(), r.partition(), r.offset(), r.key(), r.value(), r.timestamp(),
              e.getMessage()));
        } catch (RuntimeException e) {
          // Whatever a record does to the decoder, it must not end the consumer or block its partition.
          dead.add(new DeadLetter(r.topic(), r.partition(), r.offset(), r.key(), r.value(), r.timestamp(),
              "cannot decode: " + e));
        }
      }
      if (last >= 0) {
        next.put(tp, last + 1);
      }
    }
    return new ArchiveBatch(events, dead, next, tombstones);
  }

  private static byte[] headerValue(ConsumerRecord<byte[], byte[]> r) {
    Header h = r.headers().lastHeader(EnvelopeFormat.HEADER);
    return h == null ? null : h.value();
  }

  /**
   * Whether a record without a value is the tombstone after a delete: format 2 (the header says so) and a key struct
   * naming a valid key. A null value without that header is nothing kvpipe wrote: it is dead-lettered.
   */
  static boolean isTombstone(byte[] recordKey, EnvelopeFormat format) {
    if (format != EnvelopeFormat.DEBEZIUM) {
      return false;
    }
    try {
      Keys.validateKey(DebeziumEnvelope.decodeKey(recordKey));
    } catch (KvException ex) {
      throw new MalformedEventException("tombstone with an invalid key: " + ex.getMessage());
    }
    return true;
  }

  /** As {@link #decode(byte[], byte[], EnvelopeFormat)} for a record without a format header. */
  public ArchiveEvent decode(byte[] recordKey, byte[] recordValue) {
    return decode(recordKey, recordValue, null);
  }

  /**
   * Decodes and validates one record of {@code format} (null: no header, told apart by shape); throws
   * {@link MalformedEventException} saying why it cannot be archived.
   */
  public ArchiveEvent decode(byte[] recordKey, byte[] recordValue, EnvelopeFormat format) {
    if (recordValue == null) {
      throw new MalformedEventException("record has no value (a Kafka tombstone without the " + EnvelopeFormat.HEADER
          + " header is not a kvpipe tombstone)");
    }
    EnvelopeFormat f = format != null ? format : ChangeEventCodec.formatOf(recordValue);
    ChangeEvent e = ChangeEventCodec.decode(recordValue, f);
    byte[] key;
    try {
      key = Keys.validateKey(e.key());
    } catch (KvException ex) {
      throw new MalformedEventException("invalid key: " + ex.getMessage());
    }
    boolean keyMatches = recordKey != null && (f == EnvelopeFormat.LEGACY ? Arrays.equals(recordKey, key)
        : DebeziumEnvelope.keyMatches(recordKey, e.key()));
    if (!keyMatches) {
      throw new MalformedEventException("record key does not match the event's key");
    }
    if (!validGroup(e.group())) {
      throw new MalformedEventException("invalid group id (1..63 of [A-Za-z0-9_-], starting alphanumeric, optionally"
          + " followed by .<incarnation>)");
    }
    checkSize(e.after(), "after");
    checkSize(e.before(), "before");
    if (!SqlTime.inRange(e.tsMs())) {
      throw new MalformedEventException("ts_ms " + e.tsMs() + " is outside what the archive's DATETIME columns hold"
          + " (1000-01-01 to 9999-12-31 UTC)");
    }
    return new ArchiveEvent(e, key);
  }

  /**
   * The group id rule, remembered for the few ids a cluster has: the regex per event was the decoder's largest cost
   * of its own (a profile of bench-archive's decoding). Bounded, so a stream of bogus ids cannot grow it.
   */
  private boolean validGroup(String group) {
    if (validGroups.contains(group)) {
      return true;
    }
    if (!GROUP_ID.matcher(group).matches()) {
      return false;
    }
    if (validGroups.size() < MAX_REMEMBERED_GROUPS) {
      validGroups.add(group);
    }
    return true;
  }

  private static void checkSize(byte[] value, String field) {
    if (value != null && value.length > Limits.HARD_MAX_VALUE_BYTES) {
      throw new MalformedEventException(
          "'" + field + "' is " + value.length + " bytes; the hard limit is " + Limits.HARD_MAX_VALUE_BYTES);
    }
  }
}
