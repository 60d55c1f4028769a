package io.kvpipe.consumer;

import static io.kvpipe.consumer.Events.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.DebeziumEnvelope;
import io.kvpipe.common.event.EnvelopeFormat;
import io.kvpipe.common.event.EnvelopeOptions;
import io.kvpipe.common.event.MalformedEventException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class EventDecoderTest {
  private final EventDecoder decoder = new EventDecoder();

  @Test
  void acceptsAWellFormedEventAndKeepsItsKeyBytes() {
    ChangeEvent e = Events.set("g-1_a", 5, "ké", "v", 9);
    ArchiveEvent a = decoder.decode(b("ké"), Events.encode(e));
    assertThat(a.event()).isEqualTo(e);
    assertThat(a.key()).isEqualTo(b("ké"));
  }

  @Test
  void refusesWhatTheArchiveCannotStoreFaithfully() {
    assertThatThrownBy(() -> decoder.decode(b("k"), null)).isInstanceOf(MalformedEventException.class)
        .hasMessageContaining("no value");
    assertThatThrownBy(() -> decoder.decode(b("k"), b("[]"))).isInstanceOf(MalformedEventException.class);
    assertThatThrownBy(() -> decoder.decode(b("K"), Events.encode(Events.set("g1", 1, "k", "v", 1))))
        .hasMessageContaining("does not match");
    assertThatThrownBy(() -> decoder.decode(null, Events.encode(Events.set("g1", 1, "k", "v", 1))))
        .hasMessageContaining("does not match");
    String big = "x".repeat(513);
    assertThatThrownBy(() -> decoder.decode(b(big), Events.encode(Events.set("g1", 1, big, "v", 1))))
        .hasMessageContaining("invalid key");
    assertThatThrownBy(() -> decoder.decode(b("k"), Events.encode(Events.set("g 1", 1, "k", "v", 1))))
        .hasMessageContaining("group id");
    for (String bad : List.of("g3.", "g3.x", "g3.01", ".5", "g3.5.6", "g".repeat(62) + ".5")) {
      assertThatThrownBy(() -> decoder.decode(b("k"), Events.encode(Events.set(bad, 1, "k", "v", 1))))
          .as(bad).hasMessageContaining("group id");
    }
  }

  @Test
  void acceptsTheRaftNameOfAGroupAddedAgain() {
    for (String name : List.of("g3.57", "g3", "a_b-c.9223372036854775807", "g".repeat(60) + ".12")) {
      ChangeEvent e = Events.set(name, 5, "k", "v", 9);
      assertThat(decoder.decode(b("k"), Events.encode(e)).event().group()).isEqualTo(name);
    }
  }

  @Test
  void refusesAnEventTimeTheArchiveCannotStore() {
    for (long ts : new long[] {SqlTime.MAX_MS + 1, SqlTime.MIN_MS - 1, Long.MAX_VALUE, Long.MIN_VALUE}) {
      ChangeEvent e = new ChangeEvent(io.kvpipe.common.event.Op.CREATE, "k", null, b("v"), ts, "g1", 1, 1, 1, 1,
          io.kvpipe.common.event.Origin.CLIENT);
      assertThatThrownBy(() -> decoder.decode(b("k"), Events.encode(e))).as("ts_ms " + ts)
          .isInstanceOf(MalformedEventException.class).hasMessageContaining("ts_ms");
    }
    ChangeEvent edge = new ChangeEvent(io.kvpipe.common.event.Op.CREATE, "k", null, b("v"), SqlTime.MAX_MS, "g1", 1, 1,
        1, 1, io.kvpipe.common.event.Origin.CLIENT);
    assertThat(decoder.decode(b("k"), Events.encode(edge)).event().tsMs()).isEqualTo(SqlTime.MAX_MS);
    assertThat(SqlTime.utc(SqlTime.MAX_MS)).isEqualTo("9999-12-31 23:59:59.999");
    assertThat(SqlTime.utc(SqlTime.MIN_MS)).isEqualTo("1000-01-01 00:00:00.000");
  }

  @Test
  void splitsAPollIntoEventsAndDeadLettersAndAdvancesEveryPartition() {
    TopicPartition p0 = new TopicPartition("t", 0);
    TopicPartition p1 = new TopicPartition("t", 1);
    ConsumerRecords<byte[], byte[]> records = new ConsumerRecords<>(Map.of(
        p0, List.of(new ConsumerRecord<>("t", 0, 10, b("a"), Events.encode(Events.set("g1", 1, "a", "v", 1))),
            new ConsumerRecord<>("t", 0, 11, b("a"), b("garbage"))),
        p1, List.of(new ConsumerRecord<>("t", 1, 3, b("b"), (byte[]) null))), Map.of());
    ArchiveBatch batch = decoder.decode(records);
    assertThat(batch.events()).hasSize(1);
    assertThat(batch.deadLetters()).extracting(DeadLetter::offset).containsExactlyInAnyOrder(11L, 3L);
    assertThat(batch.nextOffsets()).containsExactlyInAnyOrderEntriesOf(Map.of(p0, 12L, p1, 4L));
  }

  private static ConsumerRecord<byte[], byte[]> record(long offset, byte[] key, byte[] value, String format) {
    RecordHeaders headers = new RecordHeaders();
    if (format != null) {
      headers.add(EnvelopeFormat.HEADER, b(format));
    }
    return new ConsumerRecord<>("t", 0, offset, 0L, TimestampType.CREATE_TIME, 0, 0, key, value, headers,
        Optional.empty());
  }

  @Test
  void readsFormatTwoSkipsItsTombstonesAndDeadLettersWhatIsNotKvpipes() {
    DebeziumEnvelope env = DebeziumEnvelope.of(new EnvelopeOptions("t", true));
    ChangeEvent set = Events.set("g1", 1, "a", "v", 1);
    ChangeEvent delete = Events.delete("g1", 2, "a", 2);
    TopicPartition p0 = new TopicPartition("t", 0);
    ConsumerRecords<byte[], byte[]> records = new ConsumerRecords<>(Map.of(p0, List.of(
        record(0, env.encodeKey("a"), env.encode(set, 5).value(), "2"),
        record(1, env.encodeKey("a"), env.encode(delete, 5).value(), "2"),
        record(2, env.encodeKey("a"), null, "2"),                       // the tombstone after the delete: skipped
        record(3, b("a"), Events.encode(set), null),                     // format 1, no header: read by its shape
        record(4, b("a"), null, null),                                   // a null value without the header: not ours
        record(5, b("a"), null, "2"),                                    // a tombstone whose key is no key struct
        record(6, env.encodeKey("b"), env.encode(set, 5).value(), "2"),  // record key of another key
        record(7, env.encodeKey("a"), env.encode(set, 5).value(), "3"),  // a format this reader does not know
        record(8, b("a"), env.encode(set, 5).value(), null))),           // format 2 without header, raw key
        Map.of());
    ArchiveBatch batch = decoder.decode(records);
    assertThat(batch.events()).extracting(ArchiveEvent::event).containsExactly(set, delete, set);
    assertThat(batch.tombstones()).isEqualTo(1);
    assertThat(batch.deadLetters()).extracting(DeadLetter::offset).containsExactly(4L, 5L, 6L, 7L, 8L);
    assertThat(batch.deadLetters()).extracting(DeadLetter::reason).satisfiesExactly(
        r -> assertThat(r).contains("no value"),
        r -> assertThat(r).contains("record key"),
        r -> assertThat(r).contains("does not match"),
        r -> assertThat(r).contains("unknown envelope format '3'"),
        r -> assertThat(r).contains("record key"));
    assertThat(batch.nextOffsets()).containsExactlyEntriesOf(Map.of(p0, 9L));
  }

  @Test
  void acceptsAnExpiryAsADeleteMarkedWithItsOrigin() {
    DebeziumEnvelope env = DebeziumEnvelope.of(new EnvelopeOptions("t", false));
    ChangeEvent expiry = new ChangeEvent(io.kvpipe.common.event.Op.DELETE, "session:1", b("token"), null,
        Events.T0, "g1", 12, 0, 3, 1, 99, io.kvpipe.common.event.Origin.EXPIRY);
    String json = new String(env.encode(expiry, Events.T0 + 5).value(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(json).contains("\"origin\":\"expiry\"").contains("\"op\":\"d\"");
    ArchiveEvent a = decoder.decode(env.encodeKey("session:1"), env.encode(expiry, Events.T0 + 5).value(),
        EnvelopeFormat.DEBEZIUM);
    assertThat(a.event()).isEqualTo(expiry);
    assertThat(a.event().origin()).isEqualTo(io.kvpipe.common.event.Origin.EXPIRY);
    // Format 1 carries the origin the same way.
    assertThat(decoder.decode(b("session:1"), Events.encode(expiry)).event()).isEqualTo(expiry);
  }
}
