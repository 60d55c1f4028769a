package io.kvpipe.consumer;

import com.zaxxer.hikari.HikariDataSource;
import io.kvpipe.common.Versions;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import io.kvpipe.consumer.pipeline.EndToEndLatencyBench;
import io.kvpipe.testsupport.kafka.KafkaBroker;
import io.kvpipe.testsupport.mysql.LocalMySqlServer;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * scripts/bench-archive.sh: archive rate of the consumer vs. a raw batched JDBC insert of the same rows, in one run on
 * the same servers. Pre-fills a topic with N events (100-byte values, K keys reused, ~5% deletes), archives them with
 * the real consumer (in-process, real Kafka, real MySQL), then inserts the same changelog rows into a fresh table of the
 * same shape with {@code addBatch} + {@code rewriteBatchedStatements=true}, committing every batch-size rows like the
 * consumer does. Prints both and the ratio; writes target/bench/archive-<timestamp>.json.
 *
 * <p>Flags: --events N (500000) --keys K (100000) --value-bytes B (100) --partitions P (3) --batch B (5000)
 * --writer-threads W (2, the consumer's default) --rounds R (1; best of R rounds, for machines shared with other load)
 * --bootstrap host:port (default: start a broker) --jdbc-url URL --jdbc-user U --jdbc-password P (default: a throwaway
 * local server with durable commits) --e2e true|false (true) --e2e-rate W (2000) --e2e-seconds S (15): the end-to-end
 * phase (see {@link EndToEndLatencyBench}: 3 kv-node processes with CDC on, this consumer, write ack -> row visible).
 */
public final class ArchiveBench {
  private final Map<String, String> opts;
  private final int events;
  private final int keys;
  private final int valueBytes;
  private final int partitions;
  private final int batch;
  private final int writerThreads;
  private final int rounds;
  private final boolean e2e;
  private final int e2eRate;
  private final int e2eSeconds;

  private ArchiveBench(Map<String, String> opts) {
    this.opts = opts;
    events = Integer.parseInt(opts.getOrDefault("events", "500000"));
    keys = Integer.parseInt(opts.getOrDefault("keys", "100000"));
    valueBytes = Integer.parseInt(opts.getOrDefault("value-bytes", "100"));
    partitions = Integer.parseInt(opts.getOrDefault("partitions", "3"));
    batch = Integer.parseInt(opts.getOrDefault("batch", "5000"));
    writerThreads = Integer.parseInt(opts.getOrDefault("writer-threads", "2"));
    rounds = Math.max(1, Integer.parseInt(opts.getOrDefault("rounds", "1")));
    e2e = Boolean.parseBoolean(opts.getOrDefault("e2e", "true"));
    e2eRate = Integer.parseInt(opts.getOrDefault("e2e-rate", "2000"));
    e2eSeconds = Integer.parseInt(opts.getOrDefault("e2e-seconds", "15"));
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --flag value pairs, got " + args[i]);
      }
      opts.put(args[i].substring(2), args[i + 1]);
    }
    new ArchiveBench(opts).run();
    System.exit(0); // the throwaway servers are removed by shutdown hooks
  }

  private void run() throws Exception {
    Path out = Path.of("target", "bench");
    Files.createDirectories(out);
    String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
    MySqlServer server = mysql();
    log("MySQL: " + server.description());
    KafkaBroker broker = null;
    String bootstrap = opts.get("bootstrap");
    if (bootstrap == null) {
      log("starting a Kafka broker ...");
      broker = KafkaBroker.start(out.resolve("kafka-" + stamp).toAbsolutePath());
      bootstrap = broker.bootstrapServers();
    }
    try {
      List<ChangeEvent> stream = generate();
      String topic = "kv.changes.bench." + stamp.replace("-", "");
      KafkaTopics.create(bootstrap, partitions, topic, topic + ".dlq");
      log("pre-filling " + topic + " with " + events + " events (" + keys + " keys, " + valueBytes + "-byte values)");
      long t0 = System.nanoTime();
      KafkaTopics.produce(bootstrap, topic, stream, 0);
      log(String.format("pre-filled in %.1f s", (System.nanoTime() - t0) / 1e9));

      // Each round: the consumer (fresh group, fresh database) then the raw insert (fresh database); best of rounds
      // for each, since other load on a shared machine only ever slows a measurement down.
      List<Double> consumerRates = new ArrayList<>();
      List<Double> rawRates = new ArrayList<>();
      Measure consumer = null;
      Map<String, Object> machine = null;
      for (int round = 1; round <= rounds; round++) {
        log("round " + round + " of " + rounds);
        try (MySqlDatabase consumerDb = MySqlDatabase.create(server, "benchconsumer");
             MySqlDatabase rawDb = MySqlDatabase.create(server, "benchraw")) {
          Measure c = measureConsumer(bootstrap, topic, "bench-" + round + "-" + topic, consumerDb);
          Measure r = measureRaw(rawDb, stream);
          log(String.format("  round %d: consumer %,.0f rows/s, raw %,.0f rows/s, ratio %.2f", round, c.steadyRate(),
              r.steadyRate(), c.steadyRate() / r.steadyRate()));
          consumerRates.add(c.steadyRate());
          rawRates.add(r.steadyRate());
          if (consumer == null || c.steadyRate() > consumer.steadyRate()) {
            consumer = c;
          }
          machine = machine(consumerDb);
        }
      }
      double bestConsumer = consumerRates.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
      double bestRaw = rawRates.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
      double ratio = bestConsumer / bestRaw;
      log(String.format("consumer archive rate: %,.0f rows/s (%,.0f incl. start-up)", bestConsumer,
          consumer.totalRate()));
      log(String.format("raw batched JDBC insert: %,.0f rows/s", bestRaw));
      log(String.format("ratio consumer/raw: %.2f (target >= 0.8) %s", ratio, ratio >= 0.8 ? "OK" : "BELOW TARGET"));
      Map<String, Object> endToEnd = Map.of("skipped", "--e2e false");
      if (e2e) {
        try {
          endToEnd = new EndToEndLatencyBench(bootstrap, server, out.resolve("e2e-" + stamp).toAbsolutePath(),
              e2eRate, e2eSeconds, valueBytes, System.out).run();
        } catch (Exception | AssertionError e) {
          // The archive-rate figures above still stand: report the failure beside them rather than lose both.
          log("end-to-end phase FAILED: " + e);
          endToEnd = Map.of("error", String.valueOf(e));
        }
      }
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("timestamp", Instant.now().toString());
      json.put("events", events);
      json.put("keys", keys);
      json.put("value_bytes", valueBytes);
      json.put("partitions", partitions);
      json.put("batch_rows", batch);
      json.put("consumer_writer_threads", writerThreads);
      json.put("rounds", rounds);
      json.put("consumer_rows_per_s", Math.round(bestConsumer));
      json.put("consumer_rows_per_s_incl_startup", Math.round(consumer.totalRate()));
      json.put("raw_jdbc_rows_per_s", Math.round(bestRaw));
      json.put("consumer_rows_per_s_by_round", consumerRates.stream().map(Math::round).toList().toString());
      json.put("raw_jdbc_rows_per_s_by_round", rawRates.stream().map(Math::round).toList().toString());
      json.put("ratio", Math.round(ratio * 100) / 100.0);
      json.put("target_ratio", 0.8);
      json.put("end_to_end_latency", endToEnd);
      double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      json.put("load_average_at_end", load);
      log(String.format("load average (1 min) at the end: %.1f on %d cores", load,
          Runtime.getRuntime().availableProcessors()));
      json.put("machine", machine);
      Path file = out.resolve("archive-" + stamp + ".json");
      Files.writeString(file, toJson(json) + "\n");
      log("wrote " + file);
    } finally {
      if (broker != null) {
        broker.close();
      }
    }
  }

  private MySqlServer mysql() {
    String url = opts.get("jdbc-url");
    if (url == null) {
      return LocalMySqlServer.launch(true);
    }
    String user = opts.getOrDefault("jdbc-user", "root");
    String password = opts.getOrDefault("jdbc-password", "");
    return new MySqlServer() {
      @Override
      public String description() {
        return url;
      }

      @Override
      public String serverJdbcUrl() {
        return url.replaceFirst("^(jdbc:mysql://[^/?]+)(/[^?]*)?", "$1/");
      }

      @Override
      public String jdbcUrl(String database) {
        return url.replaceFirst("^(jdbc:mysql://[^/?]+)(/[^?]*)?", "$1/" + database);
      }

      @Override
      public String user() {
        return user;
      }

      @Override
      public String password() {
        return password;
      }
    };
  }

  /** Client events with realistic key reuse: first write of a key creates, later ones update (with before), ~5% delete. */
  private List<ChangeEvent> generate() {
    SplittableRandom r = new SplittableRandom(42);
    byte[][] last = new byte[keys][];
    List<ChangeEvent> list = new ArrayList<>(events);
    for (int i = 0; i < events; i++) {
      int k = r.nextInt(keys);
      String key = "user:" + k;
      long index = i + 1;
      long version = Versions.of(1, index);
      long ts = Events.T0 + i;
      byte[] before = last[k];
      if (before != null && r.nextInt(20) == 0) {
        list.add(new ChangeEvent(Op.DELETE, key, before, null, ts, "g1", index, 1, 1, version, Origin.CLIENT));
        last[k] = null;
      } else {
        byte[] value = new byte[valueBytes];
        for (int j = 0; j < valueBytes; j++) {
          value[j] = (byte) ('a' + r.nextInt(26));
        }
        list.add(new ChangeEvent(before == null ? Op.CREATE : Op.UPDATE, key, before, value, ts, "g1", index, 1, 1,
            version, Origin.CLIENT));
        last[k] = value;
      }
    }
    return list;
  }

  record Measure(long rows, double steadySeconds, long steadyRows, double totalSeconds) {
    double steadyRate() {
      return steadyRows / steadySeconds;
    }

    double totalRate() {
      return rows / totalSeconds;
    }
  }

  /** From the first committed batch to the last (start-up and group join excluded, reported apart). */
  private Measure measureConsumer(String bootstrap, String topic, String group, MySqlDatabase db) throws Exception {
    ConsumerConfig config = ConsumerConfig.parse(new String[] {"--bootstrap-servers", bootstrap, "--topic", topic,
        "--dlq-topic", topic + ".dlq", "--group-id", group, "--jdbc-url", db.jdbcUrl(),
        "--jdbc-user", db.user(), "--jdbc-password", db.password(), "--metrics-port", "0",
        "--max-poll-records", String.valueOf(batch), "--writer-threads", String.valueOf(writerThreads),
        "--pool-size", String.valueOf(writerThreads + 1)}, Map.of());
    try (HikariDataSource probe = ArchiveDataSource.create(db.jdbcUrl(), db.user(), db.password(), 1)) {
      SchemaMigrator.migrate(probe);
      ArchiveService service = new ArchiveService(config);
      long start = System.nanoTime();
      CompletableFuture<Void> running = CompletableFuture.runAsync(() -> {
        try (service) {
          service.run();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      long firstAt = 0;
      long firstRows = 0;
      long lastLog = start;
      long done;
      while (true) {
        long consumed = consumedOffsets(probe);
        long now = System.nanoTime();
        if (firstAt == 0 && consumed > 0) {
          firstAt = now;
          firstRows = consumed;
        }
        if (consumed >= events) {
          done = now;
          break;
        }
        if (now - lastLog > 2_000_000_000L) {
          lastLog = now;
          log(String.format("  consumer: %,d / %,d archived (%.0f s)", consumed, events, (now - start) / 1e9));
        }
        if (running.isDone()) {
          running.get();
          throw new IllegalStateException("the consumer stopped early");
        }
        TimeUnit.MILLISECONDS.sleep(20); // sampling progress, not synchronising
      }
      service.stop();
      running.get(60, TimeUnit.SECONDS);
      long rows;
      try (Connection c = probe.getConnection(); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM kv_changelog")) {
        rs.next();
        rows = rs.getLong(1);
      }
      if (rows != events) {
        throw new IllegalStateException("archived " + rows + " rows, expected " + events);
      }
      return new Measure(rows, (done - firstAt) / 1e9, rows - firstRows, (done - start) / 1e9);
    }
  }

  private static long consumedOffsets(HikariDataSource ds) throws SQLException {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT COALESCE(SUM(next_offset), 0) FROM kv_consumer_offsets")) {
      rs.next();
      long v = rs.getLong(1);
      c.rollback();
      return v;
    }
  }

  /** The same changelog rows, one plain batched INSERT per row via addBatch, committed every {@code batch} rows. */
  private Measure measureRaw(MySqlDatabase db, List<ChangeEvent> stream) throws SQLException {
    try (HikariDataSource ds = ArchiveDataSource.create(db.jdbcUrl(), db.user(), db.password(), 1)) {
      SchemaMigrator.migrate(ds); // the same table shape, indexes included
      log("raw batched JDBC insert of the same " + stream.size() + " rows ...");
      long start = System.nanoTime();
      long lastLog = start;
      try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
          "INSERT INTO kv_changelog (group_id, log_index, op, kv_key, kv_value, prev_value, version, term, epoch,"
              + " origin, event_time, consumed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,UTC_TIMESTAMP(3))")) {
        for (int i = 0; i < stream.size(); i++) {
          ChangeEvent e = stream.get(i);
          ps.setString(1, e.group());
          ps.setLong(2, e.logIndex());
          ps.setString(3, e.op().code());
          ps.setBytes(4, e.key().getBytes(StandardCharsets.UTF_8));
          ps.setBytes(5, e.after());
          ps.setBytes(6, e.before());
          ps.setLong(7, e.version());
          ps.setLong(8, e.term());
          ps.setLong(9, e.epoch());
          ps.setString(10, e.origin().code());
          ps.setString(11, SqlTime.utc(e.tsMs()));
          ps.addBatch();
          if ((i + 1) % batch == 0 || i + 1 == stream.size()) {
            ps.executeBatch();
            c.commit();
            long now = System.nanoTime();
            if (now - lastLog > 2_000_000_000L) {
              lastLog = now;
              log(String.format("  raw: %,d / %,d inserted", i + 1, stream.size()));
            }
          }
        }
      }
      double s = (System.nanoTime() - start) / 1e9;
      return new Measure(stream.size(), s, stream.size(), s);
    }
  }

  private static Map<String, Object> machine(MySqlDatabase db) throws SQLException, IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cores", Runtime.getRuntime().availableProcessors());
    Path meminfo = Path.of("/proc/meminfo");
    if (Files.exists(meminfo)) {
      String total = Files.readAllLines(meminfo).stream().filter(l -> l.startsWith("MemTotal:")).findFirst().orElse("");
      m.put("memory", total.replace("MemTotal:", "").trim());
    }
    m.put("load_average", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    m.put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version"));
    try (Connection c = db.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT VERSION(), @@innodb_flush_log_at_trx_commit, @@innodb_buffer_pool_size")) {
      rs.next();
      m.put("db_version", rs.getString(1));
      m.put("db_innodb_flush_log_at_trx_commit", rs.getInt(2));
      m.put("db_innodb_buffer_pool_bytes", rs.getLong(3));
    }
    return m;
  }

  private static String toJson(Map<String, Object> map) {
    return map.entrySet().stream().map(e -> "\"" + e.getKey() + "\": " + value(e.getValue()))
        .collect(Collectors.joining(",\n  ", "{\n  ", "\n}"));
  }

  @SuppressWarnings("unchecked")
  private static String value(Object v) {
    if (v instanceof Map<?, ?> m) {
      return toJson((Map<String, Object>) m).replace("\n", "\n  ");
    }
    if (v instanceof Number || v instanceof Boolean) {
      return v.toString();
    }
    return "\"" + v.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static void log(String s) {
    System.out.println(s);
  }
}
