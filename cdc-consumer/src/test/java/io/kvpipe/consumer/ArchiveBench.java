package io.kvpipe.consumer;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.zaxxer.hikari.HikariDataSource;
import io.kvpipe.common.Versions;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.DebeziumEnvelope;
import io.kvpipe.common.event.EnvelopeOptions;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import io.kvpipe.consumer.pipeline.EndToEndLatencyBench;
import io.kvpipe.node.cdc.ChangeRecords;
import io.kvpipe.testsupport.bench.JsonReport;
import io.kvpipe.testsupport.bench.ProcessCpu;
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
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * scripts/bench-archive.sh: archive rate of the consumer vs. a raw batched upsert of the same rows, in one run on the
 * same servers. Pre-fills a topic with N events (100-byte values, K keys reused, ~5% deletes), archives them with the
 * real consumer (in-process, real Kafka, real MySQL), then writes the same rows into fresh databases of the same schema
 * the way a plain sink would: per-row statements with {@code addBatch} + {@code rewriteBatchedStatements=true}, a
 * kv_changelog INSERT and a kv_current upsert per event, committed every batch-size rows like the consumer does (and,
 * for comparison with the earlier figures, the changelog INSERT alone). Checks both kv_current tables end
 * identical. Prints the rates and the ratio with the load average; writes target/bench/archive-<timestamp>.json.
 *
 * <p>Flags: --events N (500000) --keys K (100000) --value-bytes B (100) --partitions P (3) --batch B (5000)
 * --format 2|1 (2: the records kv-node publishes, envelope format 2 with its headers, no tombstones; 1: the legacy
 * envelope the bench used before) --writer-threads W (2, the consumer's default) --changelog-load true|false (false, the consumer's default)
 * --rounds R (1; best of R rounds, for machines shared with other load) --jdbc-properties FILE (none: the consumer's
 * extra driver properties, as its own flag; the raw phases keep the defaults, so a driver setting is compared in one run)
 * --bootstrap host:port (default: start a broker) --jdbc-url URL --jdbc-user U --jdbc-password P (default: a throwaway
 * local server with durable commits) --e2e true|false (true) --e2e-rate W (2000) --e2e-seconds S (15): the end-to-end
 * phase (see {@link EndToEndLatencyBench}: 3 kv-node processes with CDC on, this consumer, write ack -> row visible).
 */
public final class ArchiveBench {
  /** Issue 15's absolute target on a 2-core box: 3x the best-tuned Debezium JDBC sink measured here. */
  private static final int TARGET_EVENTS_PER_S = 55_000;

  private final Map<String, String> opts;
  private final int events;
  private final int keys;
  private final int valueBytes;
  private final int partitions;
  private final int batch;
  private final int writerThreads;
  private final boolean changelogLoad;
  private final String jdbcProperties;
  /** Per round: the server's statement counters over the consumer phase ({@link #serverStatements}). */
  private final List<Map<String, Long>> consumerStatements = new ArrayList<>();
  private final int rounds;
  /** 2: the records kv-node publishes (envelope format 2, key struct, headers; ChangeRecords); 1: the legacy format. */
  private final int format;
  private final boolean e2e;
  private final int e2eRate;
  private final int e2eSeconds;
  /**
   * The processes whose CPU each phase is charged with (this JVM: the consumer or the raw writer; the database server
   * and the broker when this run started them). CPU per event is what a loaded shared box cannot distort much, unlike
   * rows/s: it says where the time goes and what 2 idle cores could reach.
   */
  private final Map<String, Long> pids = new LinkedHashMap<>();

  /**
   * Seconds this process did not run (SIGSTOP, heavy contention): a sampler that should wake every 50 ms adds any
   * lateness past 250 ms. A phase with stalls measured nothing but the pause; the run says so beside the figure.
   */
  private static final java.util.concurrent.atomic.DoubleAdder STALLED = new java.util.concurrent.atomic.DoubleAdder();

  static {
    Thread t = new Thread(() -> {
      long last = System.nanoTime();
      while (true) {
        try {
          TimeUnit.MILLISECONDS.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
        long now = System.nanoTime();
        double late = (now - last) / 1e9 - 0.05;
        if (late > 0.25) {
          STALLED.add(late);
        }
        last = now;
      }
    }, "bench-stall-watch");
    t.setDaemon(true);
    t.start();
  }

  private ArchiveBench(Map<String, String> opts) {
    this.opts = opts;
    events = Integer.parseInt(opts.getOrDefault("events", "500000"));
    keys = Integer.parseInt(opts.getOrDefault("keys", "100000"));
    valueBytes = Integer.parseInt(opts.getOrDefault("value-bytes", "100"));
    partitions = Integer.parseInt(opts.getOrDefault("partitions", "3"));
    batch = Integer.parseInt(opts.getOrDefault("batch", "5000"));
    writerThreads = Integer.parseInt(opts.getOrDefault("writer-threads", "2"));
    changelogLoad = Boolean.parseBoolean(opts.getOrDefault("changelog-load", "false"));
    jdbcProperties = opts.getOrDefault("jdbc-properties", "");
    rounds = Math.max(1, Integer.parseInt(opts.getOrDefault("rounds", "1")));
    format = Integer.parseInt(opts.getOrDefault("format", "2"));
    if (format != 1 && format != 2) {
      throw new IllegalArgumentException("--format is 1 or 2");
    }
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
    pids.put("client_jvm", ProcessHandle.current().pid());
    if (server instanceof LocalMySqlServer local) {
      pids.put("mysqld", local.pid());
    }
    KafkaBroker broker = null;
    String bootstrap = opts.get("bootstrap");
    if (bootstrap == null) {
      log("starting a Kafka broker ...");
      broker = KafkaBroker.start(out.resolve("kafka-" + stamp).toAbsolutePath());
      bootstrap = broker.bootstrapServers();
      pids.put("kafka_broker", broker.pid());
    }
    try {
      List<ChangeEvent> stream = generate();
      String topic = "kv.changes.bench." + stamp.replace("-", "");
      KafkaTopics.create(bootstrap, partitions, topic, topic + ".dlq");
      log("pre-filling " + topic + " with " + events + " events (" + keys + " keys, " + valueBytes + "-byte values,"
          + " envelope format " + format + ")");
      long t0 = System.nanoTime();
      if (format == 2) {
        DebeziumEnvelope envelope = DebeziumEnvelope.of(EnvelopeOptions.DEFAULT);
        KafkaTopics.produce(bootstrap, topic, stream, 0, e -> ChangeRecords.toRecord(topic, e, envelope));
      } else {
        KafkaTopics.produce(bootstrap, topic, stream, 0);
      }
      log(String.format("pre-filled in %.1f s", (System.nanoTime() - t0) / 1e9));

      // Each round: the consumer (fresh group, fresh database), the raw batched upsert of both tables (fresh
      // database), and the raw changelog-only insert (the earlier baseline); best of rounds for each, since other
      // load on a shared machine only ever slows a measurement down. Even rounds run the raw phases first, so neither
      // side always gets the warmer server.
      List<Measure> consumerRuns = new ArrayList<>();
      List<Measure> rawRuns = new ArrayList<>();
      List<Measure> rawChangelogRuns = new ArrayList<>();
      List<Double> loads = new ArrayList<>();
      List<Double> stalls = new ArrayList<>();
      Measure consumer = null;
      Map<String, Object> machine = null;
      double loadAtStart = loadAverage();
      for (int round = 1; round <= rounds; round++) {
        log(String.format("round %d of %d (load average %.1f on %d cores)", round, rounds, loadAverage(),
            Runtime.getRuntime().availableProcessors()));
        try (MySqlDatabase consumerDb = MySqlDatabase.create(server, "benchconsumer");
             MySqlDatabase rawDb = MySqlDatabase.create(server, "benchraw");
             MySqlDatabase rawChangelogDb = MySqlDatabase.create(server, "benchrawlog")) {
          Measure c;
          Measure r;
          Measure l;
          if (round % 2 == 1) {
            c = measureConsumer(bootstrap, topic, "bench-" + round + "-" + topic, consumerDb);
            r = measureRaw(rawDb, stream, true);
            l = measureRaw(rawChangelogDb, stream, false);
          } else {
            r = measureRaw(rawDb, stream, true);
            l = measureRaw(rawChangelogDb, stream, false);
            c = measureConsumer(bootstrap, topic, "bench-" + round + "-" + topic, consumerDb);
          }
          String consumerState = currentChecksum(consumerDb);
          String rawState = currentChecksum(rawDb);
          if (!consumerState.equals(rawState)) {
            throw new IllegalStateException("kv_current differs: consumer " + consumerState + ", raw " + rawState);
          }
          double load = loadAverage();
          log(String.format("  round %d: consumer %,.0f rows/s, raw upsert (both tables) %,.0f rows/s, ratio %.2f;"
                  + " raw changelog-only insert %,.0f rows/s; kv_current identical (%s); load %.1f", round,
              c.steadyRate(), r.steadyRate(), c.steadyRate() / r.steadyRate(), l.steadyRate(), consumerState, load));
          log(String.format("  round %d CPU us/event: consumer %s; raw upsert %s; raw changelog-only %s", round,
              c.cpuMicrosPerEvent(), r.cpuMicrosPerEvent(), l.cpuMicrosPerEvent()));
          double stalled = c.stalledSeconds() + r.stalledSeconds() + l.stalledSeconds();
          if (c.paused() || r.paused() || l.paused()) {
            log(String.format("  round %d DISTURBED: this process was paused %.1f s (consumer %.1f, raw %.1f,"
                + " changelog-only %.1f): the paused phase's figure is left out unless every round's was", round, stalled,
                c.stalledSeconds(), r.stalledSeconds(), l.stalledSeconds()));
          }
          stalls.add(Math.round(stalled * 10) / 10.0);
          consumerRuns.add(c);
          rawRuns.add(r);
          rawChangelogRuns.add(l);
          loads.add(load);
          machine = machine(consumerDb);
        }
      }
      consumer = best(consumerRuns);
      double bestConsumer = consumer.steadyRate();
      double bestRaw = best(rawRuns).steadyRate();
      double bestRawChangelog = best(rawChangelogRuns).steadyRate();
      double ratio = bestConsumer / bestRaw;
      boolean disturbed = consumer.paused() || best(rawRuns).paused() || best(rawChangelogRuns).paused();
      if (disturbed) {
        log("EVERY ROUND OF SOME PHASE WAS PAUSED: the figures below measure the pauses, not the archive");
      }
      log(String.format("consumer archive rate: %,.0f rows/s (%,.0f incl. start-up) (target >= %,d) %s", bestConsumer,
          consumer.totalRate(), TARGET_EVENTS_PER_S, bestConsumer >= TARGET_EVENTS_PER_S ? "OK" : "BELOW TARGET"));
      log(String.format("raw batched upsert, both tables: %,.0f rows/s", bestRaw));
      log(String.format("raw batched changelog-only insert: %,.0f rows/s (ratio %.2f)", bestRawChangelog,
          bestConsumer / bestRawChangelog));
      log(String.format("ratio consumer/raw upsert: %.2f (target >= 0.8) %s", ratio, ratio >= 0.8 ? "OK" : "BELOW TARGET"));
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
      json.put("consumer_changelog_load", changelogLoad);
      json.put("consumer_jdbc_properties", jdbcProperties.isEmpty() ? ""
          : String.join(", ", Files.readAllLines(Path.of(jdbcProperties))));
      json.put("rounds", rounds);
      json.put("envelope_format", format);
      json.put("consumer_rows_per_s", Math.round(bestConsumer));
      json.put("consumer_rows_per_s_incl_startup", Math.round(consumer.totalRate()));
      json.put("raw_upsert_rows_per_s", Math.round(bestRaw));
      json.put("raw_changelog_only_rows_per_s", Math.round(bestRawChangelog));
      json.put("raw_method", "one statement per row with addBatch (rewriteBatchedStatements=true), one thread,"
          + " commit every batch_rows rows: kv_changelog INSERT plus kv_current INSERT ... ON DUPLICATE KEY UPDATE"
          + " (plain, no version guard) for every event; changelog-only: the INSERT alone");
      json.put("consumer_rows_per_s_by_round", rates(consumerRuns));
      json.put("raw_upsert_rows_per_s_by_round", rates(rawRuns));
      json.put("raw_changelog_only_rows_per_s_by_round", rates(rawChangelogRuns));
      json.put("consumer_server_statements_by_round", consumerStatements);
      json.put("consumer_cpu_us_per_event_by_round", consumerRuns.stream().map(Measure::cpuMicrosPerEvent).toList());
      json.put("raw_upsert_cpu_us_per_event_by_round", rawRuns.stream().map(Measure::cpuMicrosPerEvent).toList());
      json.put("raw_changelog_only_cpu_us_per_event_by_round",
          rawChangelogRuns.stream().map(Measure::cpuMicrosPerEvent).toList());
      json.put("cpu_note", "CPU of each process over the whole phase (start-up included) per event: client_jvm is this"
          + " JVM (the consumer, or the raw writer), mysqld and kafka_broker only when this run started them");
      json.put("figures_disturbed_by_pauses", disturbed);
      json.put("load_average_by_round", loads.toString());
      json.put("paused_seconds_by_round", stalls.toString());
      json.put("ratio", Math.round(ratio * 100) / 100.0);
      json.put("target_ratio", 0.8);
      json.put("ratio_met", ratio >= 0.8);
      json.put("ratio_vs_changelog_only", Math.round(bestConsumer / bestRawChangelog * 100) / 100.0);
      json.put("target_events_per_s", TARGET_EVENTS_PER_S);
      json.put("events_per_s_met", bestConsumer >= TARGET_EVENTS_PER_S);
      json.put("kv_current_identical", true); // checked every round: the run fails otherwise
      json.put("load_average_at_start", loadAtStart);
      json.put("end_to_end_latency", endToEnd);
      double load = loadAverage();
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

  /** The fastest run that was not paused; the fastest of all when every one was. */
  private static Measure best(List<Measure> runs) {
    Comparator<Measure> byRate = Comparator.comparingDouble(Measure::steadyRate);
    return runs.stream().filter(m -> !m.paused()).max(byRate).orElseGet(() -> runs.stream().max(byRate).orElseThrow());
  }

  private static String rates(List<Measure> runs) {
    return runs.stream().map(m -> Math.round(m.steadyRate()) + (m.paused() ? " (paused)" : "")).toList().toString();
  }

  /** {@code cpuSeconds}: CPU of each process in {@link #pids} over the whole phase (start-up included). */
  record Measure(long rows, double steadySeconds, long steadyRows, double totalSeconds, double stalledSeconds,
                 Map<String, Double> cpuSeconds) {
    /** Microseconds of CPU per event by process, and their total. */
    Map<String, Double> cpuMicrosPerEvent() {
      Map<String, Double> out = new LinkedHashMap<>();
      double total = 0;
      for (Map.Entry<String, Double> e : cpuSeconds.entrySet()) {
        out.put(e.getKey(), ProcessCpu.round(1, e.getValue() * 1e6 / rows));
        total += e.getValue();
      }
      out.put("total", ProcessCpu.round(1, total * 1e6 / rows));
      return out;
    }


    /** Paused for more than half a second and 2% of its time: it measured the pause. */
    boolean paused() {
      return stalledSeconds > Math.max(0.5, 0.02 * totalSeconds);
    }

    double steadyRate() {
      return steadyRows / steadySeconds;
    }

    double totalRate() {
      return rows / totalSeconds;
    }
  }

  /** From the first committed batch to the last (start-up and group join excluded, reported apart). */
  private Measure measureConsumer(String bootstrap, String topic, String group, MySqlDatabase db) throws Exception {
    ConsumerConfig config = ConsumerConfig.parse(new String[] {"--kafka-bootstrap", bootstrap, "--topic", topic,
        "--dlq-topic", topic + ".dlq", "--group-id", group, "--jdbc-url", db.jdbcUrl(),
        "--jdbc-user", db.user(), "--jdbc-password", db.password(), "--metrics-port", "0",
        "--max-poll-records", String.valueOf(batch), "--writer-threads", String.valueOf(writerThreads),
        "--changelog-load", String.valueOf(changelogLoad), "--jdbc-properties", jdbcProperties,
        "--pool-size", String.valueOf(writerThreads + 1)}, Map.of());
    try (HikariDataSource probe = ArchiveDataSource.create(db.jdbcUrl(), db.user(), db.password(), 1)) {
      SchemaMigrator.migrate(probe);
      ArchiveService service = new ArchiveService(config);
      double stalledBefore = STALLED.sum();
      Map<String, Long> statementsBefore = serverStatements(probe);
      ProcessCpu.Sample cpuBefore = ProcessCpu.Sample.of(pids);
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
      Map<String, Double> cpu = cpuSince(cpuBefore);
      Map<String, Long> statements = new LinkedHashMap<>();
      serverStatements(probe).forEach((name, n) -> statements.put(name, n - statementsBefore.getOrDefault(name, 0L)));
      consumerStatements.add(statements);
      log("  consumer's statements (server counters): " + statements);
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
      return new Measure(rows, (done - firstAt) / 1e9, rows - firstRows, (done - start) / 1e9,
          STALLED.sum() - stalledBefore, cpu);
    }
  }

  /**
   * The server's statement counters that tell how the consumer wrote: a changelog that went by LOAD DATA shows as
   * Com_load, one rolled back to its savepoint and written again by INSERT as Com_rollback_to_savepoint too.
   */
  private static Map<String, Long> serverStatements(HikariDataSource ds) throws SQLException {
    Map<String, Long> out = new LinkedHashMap<>();
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_load', 'Com_insert',"
             + " 'Com_rollback_to_savepoint', 'Com_commit', 'Com_stmt_execute')")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getLong(2));
      }
      c.rollback();
    }
    return out;
  }

  private Map<String, Double> cpuSince(ProcessCpu.Sample before) {
    ProcessCpu.Sample now = ProcessCpu.Sample.of(pids);
    Map<String, Double> out = new LinkedHashMap<>();
    now.seconds().forEach((name, s) -> out.put(name, s - before.seconds().get(name)));
    return out;
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

  /**
   * The same rows the way a plain sink writes them: one statement per row with addBatch (the driver rewrites a batch
   * into multi-row statements), committed every {@code batch} rows. With {@code current}, every event also upserts
   * kv_current without reduction or version guard (the events are in version order here, so the end state is right);
   * without it, the changelog INSERT alone (the baseline of the earlier figures).
   */
  private Measure measureRaw(MySqlDatabase db, List<ChangeEvent> stream, boolean current) throws SQLException {
    String what = current ? "raw batched upsert (changelog + kv_current)" : "raw batched changelog-only insert";
    try (HikariDataSource ds = ArchiveDataSource.create(db.jdbcUrl(), db.user(), db.password(), 1)) {
      SchemaMigrator.migrate(ds); // the same table shape, indexes included
      log(what + " of the same " + stream.size() + " rows ...");
      double stalledBefore = STALLED.sum();
      ProcessCpu.Sample cpuBefore = ProcessCpu.Sample.of(pids);
      long start = System.nanoTime();
      long lastLog = start;
      try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
          "INSERT INTO kv_changelog (group_id, log_index, event_seq, op, kv_key, kv_value, prev_value, version, term,"
              + " epoch, origin, event_time, consumed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,UTC_TIMESTAMP(3))");
           PreparedStatement cur = c.prepareStatement(
               "INSERT INTO kv_current (kv_key, kv_value, deleted, group_id, log_index, event_time, updated_at, version)"
                   + " VALUES (?,?,?,?,?,?,UTC_TIMESTAMP(3),?) ON DUPLICATE KEY UPDATE kv_value = VALUES(kv_value),"
                   + " deleted = VALUES(deleted), group_id = VALUES(group_id), log_index = VALUES(log_index),"
                   + " event_time = VALUES(event_time), updated_at = VALUES(updated_at), version = VALUES(version)")) {
        for (int i = 0; i < stream.size(); i++) {
          ChangeEvent e = stream.get(i);
          byte[] key = e.key().getBytes(StandardCharsets.UTF_8);
          String time = SqlTime.utc(e.tsMs());
          ps.setString(1, e.group());
          ps.setLong(2, e.logIndex());
          ps.setInt(3, e.seq());
          ps.setString(4, e.op().code());
          ps.setBytes(5, key);
          ps.setBytes(6, e.after());
          ps.setBytes(7, e.before());
          ps.setLong(8, e.version());
          ps.setLong(9, e.term());
          ps.setLong(10, e.epoch());
          ps.setString(11, e.origin().code());
          ps.setString(12, time);
          ps.addBatch();
          if (current) {
            boolean deleted = e.op() == Op.DELETE;
            cur.setBytes(1, key);
            cur.setBytes(2, deleted ? null : e.after());
            cur.setInt(3, deleted ? 1 : 0);
            cur.setString(4, e.group());
            cur.setLong(5, e.logIndex());
            cur.setString(6, time);
            cur.setLong(7, e.version());
            cur.addBatch();
          }
          if ((i + 1) % batch == 0 || i + 1 == stream.size()) {
            ps.executeBatch();
            if (current) {
              cur.executeBatch();
            }
            c.commit();
            long now = System.nanoTime();
            if (now - lastLog > 2_000_000_000L) {
              lastLog = now;
              log(String.format("  raw: %,d / %,d written (%.0f s)", i + 1, stream.size(), (now - start) / 1e9));
            }
          }
        }
      }
      double s = (System.nanoTime() - start) / 1e9;
      return new Measure(stream.size(), s, stream.size(), s, STALLED.sum() - stalledBefore, cpuSince(cpuBefore));
    }
  }

  /** Rows, and a checksum over every row's key, value, version and deleted flag. */
  private static String currentChecksum(MySqlDatabase db) throws SQLException {
    try (Connection c = db.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('|', HEX(kv_key),"
             + " COALESCE(HEX(kv_value), '-'), version, deleted))), 0) FROM kv_current")) {
      rs.next();
      return rs.getLong(1) + " rows, checksum " + rs.getLong(2);
    }
  }

  private static double loadAverage() {
    return Math.round(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage() * 10) / 10.0;
  }

  private static Map<String, Object> machine(MySqlDatabase db) throws SQLException {
    Map<String, Object> m = new LinkedHashMap<>(JsonReport.machine());
    m.putAll(db.serverSettings());
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
    if (v instanceof List<?> l) {
      return l.stream().map(ArchiveBench::value).collect(Collectors.joining(", ", "[", "]"));
    }
    if (v instanceof Number || v instanceof Boolean) {
      return v.toString();
    }
    return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(v.toString())) + "\"";
  }

  private static void log(String s) {
    System.out.println(s);
  }
}
