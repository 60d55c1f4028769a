package io.kvpipe.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.DebeziumEnvelope;
import io.kvpipe.common.event.EnvelopeOptions;
import io.kvpipe.common.event.LegacyEnvelope;
import io.kvpipe.node.cdc.ChangeRecords;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.Ports;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlServer;
import io.kvpipe.testsupport.mysql.MySqlServers;
import io.kvpipe.testsupport.process.JavaProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The consumer against a real Kafka broker and a real MySQL-compatible server: dead letters, a MySQL outage mid-stream,
 * and repeated kill -9 of the consumer process mid-stream. Each test has its own topic and database.
 */
class ArchiveConsumerIT {
  @RegisterExtension
  static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();

  private MySqlDatabase db;
  private String topic;

  @BeforeEach
  void setUp(TestInfo info) {
    db = MySqlDatabase.create(MySqlServers.shared(), info.getTestMethod().orElseThrow().getName());
    topic = "kv.changes." + db.name();
    KafkaTopics.create(KAFKA.bootstrapServers(), 3, topic, topic + ".dlq");
  }

  @AfterEach
  void tearDown() {
    db.server().start(); // a no-op unless a test left it stopped
    db.close();
  }

  private List<String> flags() {
    return List.of("--kafka-bootstrap", KAFKA.bootstrapServers(), "--topic", topic, "--dlq-topic", topic + ".dlq",
        "--group-id", "archive-" + topic, "--instance-id", "i1", "--session-timeout-ms", "6000",
        "--jdbc-url", db.jdbcUrl(), "--jdbc-user", db.user(), "--jdbc-password", db.password(),
        "--metrics-port", "0", "--max-backoff-ms", "1000", "--max-poll-records", "1000", "--statement-rows", "250");
  }

  /** A consumer running on a thread of this JVM. */
  private final class InProcess implements AutoCloseable {
    final ArchiveService service;
    final CompletableFuture<Void> done = new CompletableFuture<>();

    /** {@code extraFlags} come after (so override) the test's usual flags. */
    InProcess(String... extraFlags) throws Exception {
      List<String> all = new ArrayList<>(flags());
      all.addAll(List.of(extraFlags));
      service = new ArchiveService(ConsumerConfig.parse(all.toArray(String[]::new), Map.of()));
      Thread t = new Thread(() -> {
        try (service) {
          service.run();
          done.complete(null);
        } catch (Throwable e) {
          done.completeExceptionally(e);
        }
      }, "archive-under-test");
      t.start();
    }

    double counter(String name) {
      return service.registry().get(name).counter().count();
    }

    /** A gauge's value, or -1 while it does not exist. */
    double gauge(String name) {
      var g = service.registry().find(name).gauge();
      return g == null ? -1 : g.value();
    }

    @Override
    public void close() throws Exception {
      service.stop();
      done.get(60, TimeUnit.SECONDS); // rethrows whatever ended the loop
    }
  }

  private long rows() {
    return ArchiveCheck.changelogRows(db.jdbcUrl(), db.user(), db.password());
  }

  private void assertArchivedExactlyOnce(List<ChangeEvent> events) throws SQLException {
    Poll.until("all " + events.size() + " events archived", Duration.ofSeconds(120), Duration.ofMillis(200),
        () -> rows() >= events.size());
    ArchiveCheck.Counts counts = ArchiveCheck.counts(db.jdbcUrl(), db.user(), db.password());
    assertThat(counts.rows()).isEqualTo(events.size());
    assertThat(counts.distinctIdentities()).isEqualTo(events.size());
    assertThat(ArchiveCheck.current(db.jdbcUrl(), db.user(), db.password()))
        .isEqualTo(ArchiveCheck.expectedCurrent(events));
  }

  /**
   * Issue 14: a topic written first in format 1 (raw key, no header) and then in format 2 (key struct, header, with
   * and without Connect schemas, a tombstone after each delete) archives exactly as the same events would in one
   * format; the tombstones are counted and skipped, never dead-lettered.
   */
  @Test
  void formatOneAndFormatTwoRecordsInOneTopicArchiveAlikeAndTombstonesAreSkipped() throws Exception {
    List<ChangeEvent> events = ArchiveCheck.stream("g1", 1400, 60);
    int half = events.size() / 2;
    DebeziumEnvelope bare = DebeziumEnvelope.of(new EnvelopeOptions("it", false));
    DebeziumEnvelope withSchemas = DebeziumEnvelope.of(new EnvelopeOptions("it", true));
    int tombstones = 0;
    java.util.concurrent.atomic.AtomicInteger sendFailures = new java.util.concurrent.atomic.AtomicInteger();
    try (KafkaProducer<byte[], byte[]> p = KafkaTopics.producer(KAFKA.bootstrapServers())) {
      for (int i = 0; i < events.size(); i++) {
        ChangeEvent e = events.get(i);
        if (i < half) {
          p.send(new ProducerRecord<>(topic, Events.b(e.key()), LegacyEnvelope.encode(e)), (m, err) -> {
            if (err != null) {
              sendFailures.incrementAndGet();
            }
          });
          continue;
        }
        var records = ChangeRecords.toRecords(topic, e, i % 2 == 0 ? bare : withSchemas, true,
            System.currentTimeMillis());
        tombstones += records.size() - 1;
        records.forEach(r -> p.send(r, (m, err) -> {
          if (err != null) {
            sendFailures.incrementAndGet();
          }
        }));
      }
      p.flush();
    }
    assertThat(sendFailures).as("records the broker never took").hasValue(0);
    assertThat(tombstones).as("deletes in the format-2 half").isGreaterThan(50);
    try (InProcess consumer = new InProcess()) {
      assertArchivedExactlyOnce(events);
      int expected = tombstones;
      // At least: a resent batch may deliver a tombstone twice (see KafkaTopics.producer).
      Poll.until("every tombstone counted", Duration.ofSeconds(30),
          () -> consumer.counter("kvpipe.archive.tombstones.skipped") >= expected);
      assertThat(consumer.counter("kvpipe.archive.dead.letters")).isZero();
    }
    assertThat(count("SELECT COUNT(*) FROM kv_dead_letter")).isZero();
  }

  @Test
  void poisonEventsGoToTheDeadLetterTopicAndTableWhileTheRestIsArchived() throws Exception {
    List<ChangeEvent> good = ArchiveCheck.stream("g1", 300, 40);
    String longKey = "k".repeat(600);
    List<ProducerRecord<byte[], byte[]>> poison = List.of(
        record("p-json", "{not json".getBytes(StandardCharsets.UTF_8)),
        record("p-tombstone", null),
        record("p-mismatch", LegacyEnvelope.encode(Events.set("g1", 9001, "someone-else", "x", 9001))),
        record(longKey, LegacyEnvelope.encode(Events.set("g1", 9002, longKey, "x", 9002))),
        record("p-fields", "{\"op\":\"c\",\"key\":\"p-fields\"}".getBytes(StandardCharsets.UTF_8)));
    try (KafkaProducer<byte[], byte[]> p = KafkaTopics.producer(KAFKA.bootstrapServers())) {
      for (int i = 0; i < good.size(); i++) {
        ChangeEvent e = good.get(i);
        p.send(new ProducerRecord<>(topic, Events.b(e.key()), LegacyEnvelope.encode(e)));
        if (i % 60 == 30) {
          p.send(poison.get(i / 60)); // poison in the middle of the stream, on whichever partition it hashes to
        }
      }
      p.flush();
    }
    try (InProcess consumer = new InProcess()) {
      assertArchivedExactlyOnce(good);
      Poll.until("5 dead letters in MySQL", Duration.ofSeconds(30), () -> count("SELECT COUNT(*) FROM kv_dead_letter") == 5);
      assertThat(consumer.counter("kvpipe.archive.dead.letters")).isEqualTo(5);
    }
    List<ConsumerRecord<byte[], byte[]>> dlq = KafkaTopics.read(KAFKA.bootstrapServers(), topic + ".dlq", 5,
        Duration.ofSeconds(30));
    assertThat(dlq).allSatisfy(r -> assertThat(r.headers().lastHeader("kvpipe.dlq.reason")).isNotNull());
    Set<String> dlqKeys = dlq.stream().map(r -> new String(r.key(), StandardCharsets.UTF_8)).collect(Collectors.toSet());
    assertThat(dlqKeys).containsExactlyInAnyOrder("p-json", "p-tombstone", "p-mismatch", longKey, "p-fields");
    List<String> reasons = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT reason FROM kv_dead_letter ORDER BY reason")) {
      while (rs.next()) {
        reasons.add(rs.getString(1));
      }
    }
    assertThat(reasons).anyMatch(r -> r.contains("not valid JSON")).anyMatch(r -> r.contains("no value"))
        .anyMatch(r -> r.contains("does not match")).anyMatch(r -> r.contains("invalid key"))
        .anyMatch(r -> r.contains("missing field"));
  }

  private ProducerRecord<byte[], byte[]> record(String key, byte[] value) {
    return new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value);
  }

  @Test
  void mysqlStoppedAndRestartedMidStreamLosesAndDuplicatesNothing() throws Exception {
    MySqlServer server = db.server();
    assumeTrue(server.restartable(), "needs a throwaway server this JVM can stop");
    List<ChangeEvent> events = ArchiveCheck.stream("g1", 20_000, 2_000);
    CompletableFuture<Void> producing = CompletableFuture.runAsync(
        () -> KafkaTopics.produce(KAFKA.bootstrapServers(), topic, events, 4_000));
    try (InProcess consumer = new InProcess()) {
      Poll.until("3000 rows archived", Duration.ofSeconds(60), Duration.ofMillis(100), () -> rows() >= 3_000);
      server.stop();
      Poll.until("a batch to fail while MySQL is down", Duration.ofSeconds(30),
          () -> consumer.counter("kvpipe.archive.batch.failures") >= 1);
      server.start();
      producing.get(60, TimeUnit.SECONDS);
      assertArchivedExactlyOnce(events);
    }
  }

  @Test
  void killMinus9OfTheConsumerMidStreamLosesAndDuplicatesNothing() throws Exception {
    List<ChangeEvent> events = ArchiveCheck.stream("g1", 20_000, 2_000);
    CompletableFuture<Void> producing = CompletableFuture.runAsync(
        () -> KafkaTopics.produce(KAFKA.bootstrapServers(), topic, events, 2_000));
    JavaProcess consumer = JavaProcess.builder(ConsumerMain.class.getName()).args(flags())
        .logFile(Path.of("target", "it-logs", topic + ".log")).build();
    try (consumer) {
      consumer.start();
      for (int kill = 1; kill <= 3; kill++) {
        long threshold = kill * 4_000L;
        Poll.until(threshold + " rows archived before kill " + kill, Duration.ofSeconds(90), Duration.ofMillis(20),
            () -> rows() >= threshold);
        consumer.kill9();
        consumer.start();
      }
      producing.get(120, TimeUnit.SECONDS);
      assertArchivedExactlyOnce(events);
      consumer.stop(Duration.ofSeconds(30));
      Poll.until("the consumer to log its graceful stop", Duration.ofSeconds(5),
          () -> consumer.logTail(20).contains("cdc-consumer: stopped"));
    } catch (AssertionError | RuntimeException e) {
      System.out.println("killMinus9: " + rows() + " rows archived; consumer log tail:\n" + consumer.logTail(60));
      throw e;
    }
  }

  @Test
  void startsFromTheOffsetsStoredInMySqlNotFromKafka() throws Exception {
    List<ChangeEvent> all = ArchiveCheck.stream("g1", 400, 100);
    KafkaTopics.produce(KAFKA.bootstrapServers(), topic, all.subList(0, 200), 0);
    Map<org.apache.kafka.common.TopicPartition, Long> ends;
    try (var probe = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(Map.of(
        "bootstrap.servers", KAFKA.bootstrapServers()), new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      ends = probe.endOffsets(probe.partitionsFor(topic).stream()
          .map(i -> new org.apache.kafka.common.TopicPartition(topic, i.partition())).toList());
    }
    // As if the first 200 events had been archived by an earlier run whose Kafka commits were all lost.
    try (var ds = ArchiveDataSource.create(db.jdbcUrl(), db.user(), db.password(), 1)) {
      SchemaMigrator.migrate(ds); // also shows a pool of one connection is enough for Flyway
      try (Connection c = ds.getConnection()) {
        new OffsetStore(ds, "archive-" + topic).save(c, ends);
        c.commit();
      }
    }
    KafkaTopics.produce(KAFKA.bootstrapServers(), topic, all.subList(200, 400), 0);
    try (InProcess consumer = new InProcess()) {
      Poll.until("200 rows archived", Duration.ofSeconds(60), () -> rows() >= 200);
      // A later batch must not bring back the skipped ones: wait until every partition is caught up.
      Poll.until("offsets caught up", Duration.ofSeconds(30),
          () -> count("SELECT SUM(next_offset) FROM kv_consumer_offsets") == 400);
    }
    assertThat(rows()).isEqualTo(200);
    assertThat(count("SELECT MIN(log_index) FROM kv_changelog")).isEqualTo(201);
  }

  @Test
  void anEventTimeOutsideWhatDatetimeHoldsIsDeadLetteredAndTheConsumerLivesOn() throws Exception {
    long year10000 = 253_402_300_800_000L; // 10000-01-01T00:00:00Z
    long year0999 = -30_641_760_000_000L;  // 0999-01-01T00:00:00Z
    produceWithPoison(List.of(
        record("t-future", Events.encode(new ChangeEvent(io.kvpipe.common.event.Op.CREATE, "t-future", null,
            Events.b("x"), year10000, "g1", 9001, 1, 1, 9001, io.kvpipe.common.event.Origin.CLIENT))),
        record("t-past", Events.encode(new ChangeEvent(io.kvpipe.common.event.Op.CREATE, "t-past", null,
            Events.b("x"), year0999, "g1", 9002, 1, 1, 9002, io.kvpipe.common.event.Origin.CLIENT)))));
    try (InProcess consumer = new InProcess()) {
      awaitArchivedExactlyOnce(consumer, GOOD);
      Poll.until("2 dead letters", Duration.ofSeconds(30), () -> count("SELECT COUNT(*) FROM kv_dead_letter") == 2);
    }
    assertThat(deadLetterReasons()).hasSize(2).allMatch(r -> r.contains("ts_ms"));
  }

  @Test
  void aRecordKeyLargerThanTheDeadLetterColumnIsDeadLetteredTruncatedThereAndWholeOnTheTopic() throws Exception {
    String hugeKey = "h".repeat(70_000); // kv_dead_letter.record_key is a BLOB: 65,535 bytes
    produceWithPoison(List.of(record(hugeKey, Events.encode(Events.set("g1", 9001, hugeKey, "x", 9001)))));
    try (InProcess consumer = new InProcess()) {
      awaitArchivedExactlyOnce(consumer, GOOD);
      Poll.until("the dead letter in MySQL", Duration.ofSeconds(30),
          () -> count("SELECT COUNT(*) FROM kv_dead_letter") == 1);
    }
    assertThat(count("SELECT LENGTH(record_key) FROM kv_dead_letter")).isEqualTo(65_535);
    assertThat(deadLetterReasons().getFirst()).contains("record key truncated", "70000", "invalid key");
    List<ConsumerRecord<byte[], byte[]>> dlq = KafkaTopics.read(KAFKA.bootstrapServers(), topic + ".dlq", 1,
        Duration.ofSeconds(30));
    assertThat(dlq.getFirst().key()).hasSize(70_000);
  }

  @Test
  void aDeadLetterLargerThanTheDeadLetterTopicAcceptsIsRecordedWholeInMySqlAndAsAStubOnTheTopic() throws Exception {
    String dlq = topic + ".small-dlq";
    KafkaTopics.create(KAFKA.bootstrapServers(), 1, Map.of("max.message.bytes", "2048"), dlq);
    byte[] big = ("{\"not json" + "x".repeat(20_000)).getBytes(StandardCharsets.UTF_8);
    produceWithPoison(List.of(record("p-big", big)));
    try (InProcess consumer = new InProcess("--dlq-topic", dlq)) {
      awaitArchivedExactlyOnce(consumer, GOOD);
      Poll.until("the dead letter in MySQL", Duration.ofSeconds(30),
          () -> count("SELECT COUNT(*) FROM kv_dead_letter") == 1);
    }
    assertThat(count("SELECT LENGTH(record_value) FROM kv_dead_letter")).isEqualTo(big.length);
    ConsumerRecord<byte[], byte[]> stub = KafkaTopics.read(KAFKA.bootstrapServers(), dlq, 1, Duration.ofSeconds(30))
        .getFirst();
    assertThat(new String(stub.key(), StandardCharsets.UTF_8)).isEqualTo("p-big");
    assertThat(stub.value()).isNull();
    assertThat(new String(stub.headers().lastHeader("kvpipe.dlq.truncated").value(), StandardCharsets.UTF_8))
        .contains(String.valueOf(big.length));
  }

  @Test
  void aMissingDeadLetterTopicIsCreatedByTheConsumer() throws Exception {
    String dlq = topic + ".new-dlq"; // nobody created it, and the broker does not create topics on use
    produceWithPoison(List.of(record("p-json", Events.b("{not json"))));
    try (InProcess consumer = new InProcess("--dlq-topic", dlq)) {
      awaitArchivedExactlyOnce(consumer, GOOD);
      Poll.until("the dead letter in MySQL", Duration.ofSeconds(30),
          () -> count("SELECT COUNT(*) FROM kv_dead_letter") == 1);
    }
    assertThat(KafkaTopics.read(KAFKA.bootstrapServers(), dlq, 1, Duration.ofSeconds(30)).getFirst().key())
        .isEqualTo(Events.b("p-json"));
  }

  @Test
  void aDeadLetterTopicThatCannotBeCreatedLeavesTheDeadLetterInMySqlAndBlocksNothing() throws Exception {
    // Kafka refuses this name: it collides with the existing "<topic>.dlq" ('.' and '_' clash in metric names).
    String dlq = (topic + ".dlq").replace('.', '_');
    produceWithPoison(List.of(record("p-json", Events.b("{not json"))));
    try (InProcess consumer = new InProcess("--dlq-topic", dlq)) {
      awaitArchivedExactlyOnce(consumer, GOOD);
      Poll.until("the dead letter in MySQL", Duration.ofSeconds(30),
          () -> count("SELECT COUNT(*) FROM kv_dead_letter") == 1);
      assertThat(consumer.counter("kvpipe.archive.dead.letters.unpublished")).isEqualTo(1);
    }
    assertThat(deadLetterReasons().getFirst()).contains("not published to dead-letter topic " + dlq, "not valid JSON");
  }

  private static final List<ChangeEvent> GOOD = ArchiveCheck.stream("g1", 300, 40);

  /** The good stream with {@code poison} spread through it, on whichever partitions the keys hash to. */
  private void produceWithPoison(List<ProducerRecord<byte[], byte[]>> poison) {
    try (KafkaProducer<byte[], byte[]> p = KafkaTopics.producer(KAFKA.bootstrapServers())) {
      int every = GOOD.size() / (poison.size() + 1);
      for (int i = 0; i < GOOD.size(); i++) {
        ChangeEvent e = GOOD.get(i);
        p.send(new ProducerRecord<>(topic, Events.b(e.key()), LegacyEnvelope.encode(e)));
        if (i % every == every / 2 && i / every < poison.size()) {
          p.send(poison.get(i / every));
        }
      }
      p.flush();
    }
  }

  /** Like {@link #assertArchivedExactlyOnce}, but gives up at once when the consumer died or keeps failing. */
  private void awaitArchivedExactlyOnce(InProcess consumer, List<ChangeEvent> events) throws SQLException {
    Poll.until("all " + events.size() + " events archived", Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      if (consumer.done.isDone()) {
        throw new Poll.Abort("the consumer ended: " + consumer.done.handle((ok, e) -> String.valueOf(e)).join());
      }
      if (consumer.counter("kvpipe.archive.batch.failures") >= 3) {
        throw new Poll.Abort("the same batch keeps failing (" + consumer.counter("kvpipe.archive.batch.failures")
            + " failures): the partition is blocked");
      }
      return rows() >= events.size();
    });
    assertArchivedExactlyOnce(events);
  }

  /**
   * A new shard leader republishes the unconfirmed tail of what its predecessor sent (at-least-once, same identities),
   * so the copies of the end of one poll open the next. With transactions of one partition pipelined, the second must
   * not take those changelog rows' locks and then wait for the first, which needs them: a cycle InnoDB cannot see,
   * broken only by innodb_lock_wait_timeout, after which the same polls recur (review of the pipelined loop).
   */
  @Test
  void aRepublishedTailOpeningTheNextPollIsArchivedWithoutAFailedBatch() throws Exception {
    List<ChangeEvent> events = ArchiveCheck.stream("g1", 6000, 500);
    List<ChangeEvent> onTopic = new ArrayList<>(events.subList(0, 5000));
    onTopic.addAll(events.subList(4000, 5000)); // the republished tail: same identities
    onTopic.addAll(events.subList(5000, 6000));
    produceToPartitionZero(onTopic);
    // Five statements for the first poll, so the second poll is decoded and started while the first still writes.
    try (InProcess consumer = new InProcess("--max-poll-records", "5000", "--statement-rows", "1000",
        "--writer-threads", "2", "--jdbc-properties", shortLockWait().toString())) {
      awaitArchivedExactlyOnce(consumer, events);
      assertThat(consumer.counter("kvpipe.archive.batch.failures")).as("batches rolled back").isZero();
    }
  }

  /**
   * One transient failure (a lock wait timeout) of a transaction with another chained after it counts once: the
   * chained one never ran, so it is read again without being counted as a failed batch of its own (an extra backoff,
   * and with W >= 3 chained a /ready that says "cannot write" after a single error).
   */
  @Test
  void aTransactionChainedAfterAFailedOneIsNotCountedAsAFailedBatch() throws Exception {
    List<ChangeEvent> events = ArchiveCheck.stream("g1", 3000, 500);
    produceToPartitionZero(events);
    SchemaMigrator.migrate(db.jdbcUrl(), db.user(), db.password());
    try (Connection lock = db.connect()) {
      lock.setAutoCommit(false);
      try (Statement s = lock.createStatement()) {
        // Uncommitted: the first poll's kv_current upsert of key-0 waits on it until its lock wait times out.
        s.executeUpdate("INSERT INTO kv_current (kv_key, kv_value, deleted, group_id, log_index, event_time,"
            + " updated_at, version) VALUES ('key-0', 'held', 0, 'g0', 0, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), 0)");
      }
      // 1000 records a poll, two transactions in flight: the second poll's is chained after the blocked first one.
      try (InProcess consumer = new InProcess("--max-poll-records", "1000", "--writer-threads", "2",
          "--jdbc-properties", shortLockWait().toString())) {
        Poll.until("the first transaction failed", Duration.ofSeconds(60), Duration.ofMillis(10),
            () -> consumer.counter("kvpipe.archive.batch.failures") >= 1);
        lock.rollback(); // the replay, if already waiting on the row, goes on
        awaitArchivedExactlyOnce(consumer, events);
        assertThat(consumer.counter("kvpipe.archive.batch.failures")).as("batches counted as failed").isEqualTo(1);
      }
    }
  }

  private void produceToPartitionZero(List<ChangeEvent> events) {
    try (KafkaProducer<byte[], byte[]> p = KafkaTopics.producer(KAFKA.bootstrapServers())) {
      for (ChangeEvent e : events) {
        p.send(new ProducerRecord<>(topic, 0, Events.b(e.key()), LegacyEnvelope.encode(e)));
      }
      p.flush();
    }
  }

  /** JDBC properties that cut InnoDB's lock wait (50 s by default) to 2 s, so a lock wait fails the test quickly. */
  private static Path shortLockWait() throws IOException {
    Path props = Files.createTempFile("short-lock-wait", ".properties");
    props.toFile().deleteOnExit();
    Files.writeString(props, "sessionVariables=innodb_lock_wait_timeout=2\n");
    return props;
  }

  private List<String> deadLetterReasons() throws SQLException {
    List<String> reasons = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT reason FROM kv_dead_letter ORDER BY id")) {
      while (rs.next()) {
        reasons.add(rs.getString(1));
      }
    }
    return reasons;
  }

  @Test
  void aStoredOffsetBelowTheLogStartStopsThePartitionUntilAnOperatorResetsIt() throws Exception {
    // 60 records on each partition: event i (log index i + 1) on partition i % 3.
    KafkaTopics.produceRoundRobin(KAFKA.bootstrapServers(), topic, 3, ArchiveCheck.stream("g1", 180, 180));
    TopicPartition p0 = new TopicPartition(topic, 0);
    TopicPartition p1 = new TopicPartition(topic, 1);
    TopicPartition p2 = new TopicPartition(topic, 2);
    // An earlier run archived the first 10 records of each partition; while it was away, retention removed the first
    // 40 records of partition 0: records 10..39 are lost to the archive.
    storeOffsets(Map.of(p0, 10L, p1, 10L, p2, 10L));
    KafkaTopics.deleteRecordsBefore(KAFKA.bootstrapServers(), p0, 40);
    int port = Ports.freePort();
    try (InProcess consumer = new InProcess("--metrics-port", String.valueOf(port))) {
      Poll.until("partitions 1 and 2 archived, and partition 0 moved on or reported stopped", Duration.ofSeconds(60),
          () -> stored(p1) == 60 && stored(p2) == 60
              && (stored(p0) != 10 || consumer.gauge("kvpipe.archive.partitions.stopped") == 1));
      assertThat(stored(p0)).as("partition 0 must not skip silently over the 30 records retention removed")
          .isEqualTo(10);
      assertThat(count("SELECT COUNT(*) FROM kv_changelog WHERE log_index % 3 = 1")).isZero();
      assertThat(consumer.gauge("kvpipe.archive.partitions.stopped")).isEqualTo(1);
      HttpResponse<String> ready = http(port, "/ready");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains(topic + "-0", "stored offset 10", "log start 40");
      assertThat(http(port, "/metrics").body()).contains("kvpipe_archive_partitions_stopped 1.0");
    }
    // The operator (after kvctl snapshot-to-kafka) names the position partition 0 resumes from.
    int port2 = Ports.freePort();
    try (InProcess consumer = new InProcess("--metrics-port", String.valueOf(port2), "--reset-offsets", "0=40")) {
      Poll.until("partition 0 archived from its log start", Duration.ofSeconds(60), () -> stored(p0) == 60);
      assertThat(count("SELECT COUNT(*) FROM kv_changelog WHERE log_index % 3 = 1")).isEqualTo(20);
      assertThat(consumer.gauge("kvpipe.archive.partitions.stopped")).isZero();
      assertThat(http(port2, "/ready").statusCode()).isEqualTo(200);
    }
  }

  private void storeOffsets(Map<TopicPartition, Long> offsets) throws SQLException {
    try (var ds = ArchiveDataSource.create(db.jdbcUrl(), db.user(), db.password(), 1)) {
      SchemaMigrator.migrate(ds);
      try (Connection c = ds.getConnection()) {
        new OffsetStore(ds, "archive-" + topic).save(c, offsets);
        c.commit();
      }
    }
  }

  private long stored(TopicPartition tp) {
    return count("SELECT COALESCE(MAX(next_offset), -1) FROM kv_consumer_offsets WHERE topic = '" + tp.topic()
        + "' AND kafka_partition = " + tp.partition());
  }

  private static HttpResponse<String> http(int port, String path) throws Exception {
    try (HttpClient client = HttpClient.newHttpClient()) {
      return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
          HttpResponse.BodyHandlers.ofString());
    }
  }

  private long count(String sql) {
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      return -1;
    }
  }
}
