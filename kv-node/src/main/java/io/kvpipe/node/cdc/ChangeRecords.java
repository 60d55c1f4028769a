package io.kvpipe.node.cdc;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.DebeziumEnvelope;
import io.kvpipe.common.event.EncodedEvent;
import io.kvpipe.common.event.EnvelopeFormat;
import io.kvpipe.common.event.Op;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * A change event as Kafka records, in envelope format 2 ({@link DebeziumEnvelope}): key = the key struct, so one key's
 * events share a partition and keep their order, and a sink maps it to a primary key; value = the envelope. Headers
 * name the format ({@value EnvelopeFormat#HEADER}) and repeat the event's identity and op as UTF-8 text, so tooling
 * can route or deduplicate without parsing the JSON. With tombstones on, a delete is followed by a Kafka tombstone
 * (same key, null value) so a compacted topic can drop the key. Stateless.
 */
public final class ChangeRecords {
  public static final String HEADER_GROUP = "kvpipe.group";
  public static final String HEADER_LOG_INDEX = "kvpipe.log_index";
  public static final String HEADER_SEQ = "kvpipe.seq";
  public static final String HEADER_OP = "kvpipe.op";
  public static final String HEADER_FORMAT = EnvelopeFormat.HEADER;

  private ChangeRecords() {}

  /** The event's record, then its tombstone if it is a delete and {@code tombstones} is on. */
  public static List<ProducerRecord<byte[], byte[]>> toRecords(String topic, ChangeEvent event,
                                                              DebeziumEnvelope envelope, boolean tombstones,
                                                              long publishTsMs) {
    EncodedEvent encoded = envelope.encode(event, publishTsMs);
    Header format = new RecordHeader(HEADER_FORMAT, EnvelopeFormat.DEBEZIUM.headerBytes());
    Header group = header(HEADER_GROUP, event.group());
    Header index = header(HEADER_LOG_INDEX, Long.toString(event.logIndex()));
    Header seq = header(HEADER_SEQ, Integer.toString(event.seq()));
    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null, null, encoded.key(), encoded.value(),
        List.of(format, group, index, seq, header(HEADER_OP, event.op().code())));
    if (!tombstones || event.op() != Op.DELETE) {
      return List.of(record);
    }
    // No op header: the tombstone is compaction's marker, not a second event of the delete it follows.
    return List.of(record, new ProducerRecord<>(topic, null, null, encoded.key(), null,
        List.of(format, group, index, seq)));
  }

  /** The record of one event alone (no tombstone), published now. */
  public static ProducerRecord<byte[], byte[]> toRecord(String topic, ChangeEvent event, DebeziumEnvelope envelope) {
    return toRecords(topic, event, envelope, false, System.currentTimeMillis()).getFirst();
  }

  private static Header header(String name, String value) {
    return new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8));
  }
}
