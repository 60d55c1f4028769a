package io.kvpipe.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvpipe.kvctl.Kvctl;
import io.kvpipe.testsupport.bench.JsonReport;
import io.kvpipe.testsupport.tls.TestTls;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Backup and restore rates: N keys bulk-loaded into g1, g2 (3 kv-node processes, fsync, mutual TLS), then
 * {@code kvctl backup} (in this JVM, as an operator runs it) {@code --trials} times; the cluster is stopped and each
 * restore trial loads the first backup into a fresh cluster with {@code kvctl restore}, which must then hold N
 * records. The peer: a 3-member etcd loaded with the same keys, {@code etcdctl snapshot save} (its backup, streamed
 * from one member) and {@code etcdctl snapshot restore} (its restore: offline, into a new data directory — it writes
 * the bbolt file directly, while kvpipe's restore goes through Raft into a running cluster, so that ratio is not
 * like for like).
 */
public final class BackupBench {
  private static final PrintStream OUT = System.out;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final long keys;
  private final int valueBytes;
  private final int loadBatch;
  private final int trials;
  private final boolean withEtcd;
  private final String etcdBinary;
  private final String etcdctl;
  private final Path pidFile;
  private final Path work;
  private final Path out;
  private final KvStack.Options options;

  private BackupBench(BenchArgs a) {
    this.keys = a.integer("keys", 200_000);
    this.valueBytes = a.integer("value-bytes", 100);
    this.loadBatch = a.integer("load-batch", 1000);
    this.trials = a.integer("trials", 2);
    this.withEtcd = Boolean.parseBoolean(a.string("etcd", "true"));
    this.etcdBinary = a.string("etcd-binary", "etcd");
    this.etcdctl = a.string("etcdctl", "etcdctl");
    String pids = a.string("pid-file", "");
    this.pidFile = pids.isEmpty() ? null : Path.of(pids);
    this.work = Path.of(a.string("work-dir", "target/bench-work"));
    this.out = Path.of(a.string("out", "target/bench"));
    this.options = KvStack.Options.from(a);
  }

  public static void main(String[] args) throws Exception {
    BackupBench bench = new BackupBench(new BenchArgs(args));
    JsonReport report = new JsonReport("backup").put("settings", JsonReport.map("keys", bench.keys,
        "value_bytes", bench.valueBytes, "trials", bench.trials, "replicas", 3, "groups", 2, "fsync", true,
        "etcd", bench.withEtcd));
    bench.run(report);
    Path file = report.write(bench.out);
    OUT.println("wrote " + file.toAbsolutePath());
    System.exit(0);
  }

  private void run(JsonReport report) throws Exception {
    Path dir = Files.createDirectories(work).resolve("backup-" + System.currentTimeMillis());
    byte[] value = new byte[valueBytes];
    ThreadLocalRandom.current().nextBytes(value);
    List<Double> backups = new ArrayList<>();
    List<Double> restores = new ArrayList<>();
    double loadRate;
    try (KvStack stack = KvStack.start(dir.resolve("source"), options, OUT)) {
      OUT.printf("== bulk load: %,d keys of %d bytes into g1, g2 (PutAll batches of %d)%n", keys, valueBytes,
          loadBatch);
      loadRate = new BulkLoader(stack.ring(), stack.clients(), loadBatch, OUT).load(keys, value);
      report.put("bulk_load_keys_per_s", Math.round(loadRate));
      for (int t = 1; t <= trials; t++) {
        JsonNode r = kvctl(stack, "backup", dir.resolve("backup-" + t));
        check(r.path("records").asLong(), "backup " + t);
        backups.add(r.path("keysPerSecond").asDouble());
        OUT.printf("  backup %d: %,d keys in %.1f s: %,.0f keys/s%n", t, r.path("records").asLong(),
            r.path("seconds").asDouble(), r.path("keysPerSecond").asDouble());
      }
    }
    for (int t = 1; t <= trials; t++) {
      try (KvStack fresh = KvStack.start(dir.resolve("target-" + t), options, OUT)) {
        JsonNode r = kvctl(fresh, "restore", dir.resolve("backup-1"));
        check(r.path("records").asLong(), "restore " + t);
        long held = 0;
        for (var c : fresh.clients().values()) {
          held += c.status().records();
        }
        check(held, "records held after restore " + t);
        restores.add(r.path("keysPerSecond").asDouble());
        OUT.printf("  restore %d: %,d keys in %.1f s: %,.0f keys/s%n", t, held, r.path("seconds").asDouble(),
            r.path("keysPerSecond").asDouble());
      }
    }
    double backup = median(backups);
    double restore = median(restores);
    report.put("kvpipe", JsonReport.map("backup_keys_per_s", Math.round(backup), "backup_trials_keys_per_s",
        backups.stream().map(Math::round).toList(), "restore_keys_per_s", Math.round(restore),
        "restore_trials_keys_per_s", restores.stream().map(Math::round).toList()));
    OUT.printf("== kvpipe median: backup %,.0f keys/s, restore %,.0f keys/s (bulk load %,d keys/s)%n", backup,
        restore, Math.round(loadRate));
    if (withEtcd) {
      try {
        etcd(dir, value, report, backup, restore);
      } catch (IOException | RuntimeException e) {
        // kvpipe's figures stand on their own: keep them, and say in the report why the peer's are missing.
        OUT.println("== etcd failed, no ratios: " + e);
        report.put("etcd_error", e.toString());
      }
    }
  }

  private void etcd(Path dir, byte[] value, JsonReport report, double backup, double restore) throws Exception {
    List<Double> saves = new ArrayList<>();
    List<Double> restoresEtcd = new ArrayList<>();
    try (EtcdCluster etcd = EtcdCluster.start(etcdBinary, pidFile, OUT)) {
      List<String> names = new ArrayList<>();
      for (long i = 0; i < keys; i++) {
        names.add(BulkLoader.key(i));
      }
      OUT.printf("== etcd: loading %,d keys%n", keys);
      etcd.load(names, value);
      for (int t = 1; t <= trials; t++) {
        Path snap = dir.resolve("etcd-" + t + ".db");
        double s = timed(List.of(etcdctl, "--endpoints", etcd.url(etcd.leader()), "snapshot", "save",
            snap.toString()));
        saves.add(keys / s);
        OUT.printf("  etcdctl snapshot save %d: %.1f s: %,.0f keys/s%n", t, s, keys / s);
        double r = timed(List.of(etcdctl, "snapshot", "restore", snap.toString(), "--data-dir",
            dir.resolve("etcd-restored-" + t).toString()));
        restoresEtcd.add(keys / r);
        OUT.printf("  etcdctl snapshot restore %d (offline): %.1f s: %,.0f keys/s%n", t, r, keys / r);
      }
    }
    double save = median(saves);
    double rest = median(restoresEtcd);
    report.put("etcd", JsonReport.map("snapshot_save_keys_per_s", Math.round(save), "snapshot_save_trials",
        saves.stream().map(Math::round).toList(), "snapshot_restore_offline_keys_per_s", Math.round(rest),
        "snapshot_restore_trials", restoresEtcd.stream().map(Math::round).toList()));
    report.put("ratios", JsonReport.map("backup_vs_etcd_snapshot_save", round2(backup / save),
        "restore_vs_etcd_offline_restore", round2(restore / rest)));
    OUT.printf("== kvpipe/etcd: backup %.2f×, restore %.2f× (etcd's restore is offline, not through Raft)%n",
        backup / save, restore / rest);
  }

  private static double timed(List<String> command) throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  private JsonNode kvctl(KvStack stack, String command, Path backupDir) throws IOException {
    TestTls.Files tls = TestTls.cluster();
    List<String> args = new ArrayList<>(List.of(command, backupDir.toString(), "--json", "--proxy",
        stack.proxyUrl(), "--token", KvStack.DATA_TOKEN, "--admin-token", KvStack.ADMIN_TOKEN,
        "--timeout-ms", "60000", "--progress-s", "5"));
    if (options.tls()) {
      args.addAll(List.of("--tls-cert", tls.cert().toString(), "--tls-key", tls.key().toString(), "--tls-ca",
          tls.ca().toString()));
    } else {
      args.addAll(List.of("--insecure-plaintext", "true"));
    }
    StringWriter sw = new StringWriter();
    PrintWriter err = new PrintWriter(System.err, true);
    int code = Kvctl.commandLine(new PrintWriter(sw, true), err).execute(args.toArray(String[]::new));
    if (code != 0) {
      throw new IllegalStateException("kvctl " + command + " exited " + code);
    }
    return JSON.readTree(sw.toString());
  }

  private void check(long n, String what) {
    if (n != keys) {
      throw new IllegalStateException(what + ": " + n + " keys, expected " + keys);
    }
  }

  private static double round2(double x) {
    return Math.round(x * 100) / 100.0;
  }

  private static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(null);
    return s.isEmpty() ? 0 : s.get(s.size() / 2);
  }
}
