package io.kvpipe.node.cdc;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.ChangeEventCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * A change event as a Kafka record: key = the KV key (UTF-8), so one key's events share a partition and keep their
 * order; value = {@link ChangeEventCodec#encode}. Headers repeat the event's identity and op as UTF-8 text, so
 * tooling can route or deduplicate without parsing the JSON. Stateless.
 */
public final class ChangeRecords {
  public static final String HEADER_GROUP = "kvpipe.group";
  public static final String HEADER_LOG_INDEX = "kvpipe.log_index";
  public static final String HEADER_SEQ = "kvpipe.seq";
  public static final String HEADER_OP = "kvpipe.op";

  private ChangeRecords() {}

  public static ProducerRecord<byte[], byte[]> toRecord(String topic, ChangeEvent event) {
    List<Header> headers = List.of(
        header(HEADER_GROUP, event.group()),
        header(HEADER_LOG_INDEX, Long.toString(event.logIndex())),
        header(HEADER_SEQ, Integer.toString(event.seq())),
        header(HEADER_OP, event.op().code()));
    return new ProducerRecord<>(topic, null, null, event.key().getBytes(StandardCharsets.UTF_8),
        ChangeEventCodec.encode(event), headers);
  }

  private static Header header(String name, String value) {
    return new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8));
  }
}
