package io.kvpipe.consumer.pipeline;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.consumer.ArchiveService;
import io.kvpipe.consumer.ConsumerConfig;
import io.kvpipe.node.KvNodeMain;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.ratis.KvNodeCluster;
import io.kvpipe.testsupport.tls.TestTls;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.ratis.protocol.RaftGroupId;

/**
 * The whole pipeline for tests and benchmarks: three kv-node processes hosting shard group {@value #GROUP} with CDC on
 * (publishing to a real broker), the real archive consumer on a thread of this JVM, and a kv-client to write with.
 * The caller owns the broker and the database. Driven by one thread (the test's or the benchmark's).
 */
public final class PipelineStack implements AutoCloseable {
  public static final String GROUP = "g1";
  public static final int PARTITIONS = 3;

  private final String bootstrap;
  private final String topic;
  private final KvNodeCluster cluster;
  private final ShardGroupClient client;
  private final ArchiveService archive;
  private final CompletableFuture<Void> archiveDone = new CompletableFuture<>();
  /** Reads the topic's end offsets for {@link #idle}; created on first use. */
  private KafkaConsumer<byte[], byte[]> probe;

  private PipelineStack(String bootstrap, String topic, KvNodeCluster cluster, ShardGroupClient client,
                        ArchiveService archive) {
    this.bootstrap = bootstrap;
    this.topic = topic;
    this.cluster = cluster;
    this.client = client;
    this.archive = archive;
  }

  /**
   * Creates the topic (and its dead-letter topic), starts the nodes, waits for a leader, starts the consumer.
   *
   * @param nodeJvmArgs JVM options of the kv-node processes, or null for the light test defaults
   */
  public static PipelineStack start(Path dir, String bootstrap, MySqlDatabase db, String topic, List<String> nodeJvmArgs,
                                    Duration timeout) throws Exception {
    return start(dir, bootstrap, db, topic, nodeJvmArgs, List.of(), timeout);
  }

  /** As above, with extra kv-node flags (e.g. {@code --cdc-schemas true}). */
  public static PipelineStack start(Path dir, String bootstrap, MySqlDatabase db, String topic, List<String> nodeJvmArgs,
                                    List<String> nodeArgs, Duration timeout) throws Exception {
    createTopics(bootstrap, topic, topic + ".dlq");
    List<String> args = new ArrayList<>(List.of("--kafka-bootstrap", bootstrap, "--topic", topic));
    args.addAll(nodeArgs);
    KvNodeCluster.Builder b = KvNodeCluster.builder(KvNodeMain.class.getName(), dir)
        .group(GROUP, RaftGroupId.valueOf(GroupIds.uuidOf(GROUP)))
        .args(args.toArray(String[]::new));
    if (nodeJvmArgs != null) {
      b.jvmArgs(nodeJvmArgs);
    }
    KvNodeCluster cluster = b.start(timeout);
    ShardGroupClient client = null;
    ArchiveService archive = null;
    try {
      client = ShardGroupClient.builder(GROUP, PeerAddress.parseList(cluster.peersSpec())).tls(TestTls.cluster().raftTls())
          .operationTimeout(Duration.ofSeconds(20)).build();
      cluster.awaitLeader(GROUP, timeout);
      archive = new ArchiveService(ConsumerConfig.parse(new String[] {"--kafka-bootstrap", bootstrap,
          "--topic", topic, "--dlq-topic", topic + ".dlq", "--group-id", "archive-" + topic,
          "--jdbc-url", db.jdbcUrl(), "--jdbc-user", db.user(), "--jdbc-password", db.password(),
          "--metrics-port", "0", "--max-backoff-ms", "1000", "--max-poll-records", "1000",
          "--statement-rows", "200"}, Map.of()));
    } catch (Exception | Error e) {
      if (client != null) {
        client.close();
      }
      cluster.close();
      throw e;
    }
    PipelineStack stack = new PipelineStack(bootstrap, topic, cluster, client, archive);
    ArchiveService service = archive;
    Thread.ofPlatform().name("archive-" + topic).start(() -> {
      try (service) {
        service.run();
        stack.archiveDone.complete(null);
      } catch (Throwable e) {
        stack.archiveDone.completeExceptionally(e);
      }
    });
    return stack;
  }

  private static void createTopics(String bootstrap, String... topics) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      List<NewTopic> list = new ArrayList<>();
      for (String t : topics) {
        list.add(new NewTopic(t, PARTITIONS, (short) 1));
      }
      admin.createTopics(list).all().get(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot create topics " + List.of(topics), e);
    }
  }

  public KvNodeCluster cluster() {
    return cluster;
  }

  public ShardGroupClient client() {
    return client;
  }

  public String topic() {
    return topic;
  }

  /** Fails fast if the consumer loop has ended (it only ends on stop or a bug). */
  public void checkArchiveRunning() {
    if (archiveDone.isDone()) {
      String why = archiveDone.handle((ok, e) -> e == null ? "it returned" : e.toString()).join();
      throw new Poll.Abort("the archive consumer stopped: " + why);
    }
  }

  /**
   * True when nothing is in flight anywhere: the group's outbox is empty (every committed event is confirmed on
   * Kafka) and the consumer's offsets stored in MySQL reach the end of every partition.
   */
  public boolean idle(MySqlDatabase db) {
    checkArchiveRunning();
    if (client.status().outboxEvents() != 0) {
      return false;
    }
    long end = endOffsets();
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT COALESCE(SUM(next_offset), 0) FROM kv_consumer_offsets WHERE topic = '" + topic + "'")) {
      rs.next();
      return rs.getLong(1) == end;
    } catch (SQLException notYet) {
      return false; // schema not migrated yet: not idle
    }
  }

  private long endOffsets() {
    if (probe == null) {
      probe = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap), new ByteArrayDeserializer(),
          new ByteArrayDeserializer());
    }
    List<TopicPartition> parts = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      parts.add(new TopicPartition(topic, p));
    }
    return probe.endOffsets(parts, Duration.ofSeconds(30)).values().stream().mapToLong(Long::longValue).sum();
  }

  @Override
  public void close() throws Exception {
    try {
      archive.stop();
      archiveDone.get(60, TimeUnit.SECONDS);
    } finally {
      if (probe != null) {
        probe.close();
      }
      client.close();
      cluster.close();
    }
  }
}
