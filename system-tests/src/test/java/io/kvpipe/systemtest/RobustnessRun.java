package io.kvpipe.systemtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.check.KeyResult;
import io.kvpipe.testsupport.check.LinearizabilityChecker;
import io.kvpipe.testsupport.check.Op;
import io.kvpipe.testsupport.kafka.KafkaBroker;
import io.kvpipe.testsupport.load.KvHttp;
import io.kvpipe.testsupport.mysql.LocalMySqlServer;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlServer;
import io.kvpipe.testsupport.mysql.MySqlServers;
import io.kvpipe.testsupport.robust.HistoryRecorder;
import io.kvpipe.testsupport.robust.RegisterWorkload;
import io.kvpipe.testsupport.robust.ScanClient;
import io.kvpipe.testsupport.robust.TtlClient;
import io.kvpipe.testsupport.robust.TxnPairClients;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.LockSupport;

/**
 * One robustness run: the whole pipeline (3 kv-nodes with meta, g1, g2; a spare n4; proxies a and b; a Kafka broker;
 * the archive consumer as a process; a throwaway MariaDB), the checking workload over both proxies, the nemesis and
 * the cluster operations for {@code seconds}; then everything healed, a final read of every key, the pipeline idle,
 * and the verdict: the history linearizable, the archive exact, the store consistent, availability per fault kind.
 * Writes {@code history.jsonl}, {@code timeline.jsonl} and {@code verdict.json} under its directory; process logs
 * under {@code work/}.
 */
final class RobustnessRun {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
      .withZone(ZoneOffset.UTC);
  private static final Duration IDLE_WAIT = Duration.ofMinutes(5);

  /** What to run. {@code operations}: the cluster operations (add/drain g3, add/remove replica n4) run beside. */
  /**
   * {@code seconds}: the fault phase's length; with {@code minFaults} > 0 it lasts on until that many faults, every
   * kind of {@code faults} among them, have been injected and healed (at most {@link #COVER_LIMIT} longer).
   */
  record Options(int seconds, long seed, Set<Nemesis.Kind> faults, ClusterOps.Mode operations, int clients,
                 int requestTimeoutMs, Path outRoot, int minFaults) {
    static final String KINDS = "kill,pause,partition,kafka,mysql,consumer,migration (= groups,replicas)";

    static Options parse(String[] args) {
      int seconds = 180;
      long seed = System.currentTimeMillis() % 100_000;
      String nemesis = "kill,pause,kafka,mysql,consumer,migration";
      int clients = 8;
      int timeoutMs = 5_000;
      Path out = Path.of("target", "robustness");
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        String v = i + 1 < args.length ? args[i + 1] : null;
        switch (a) {
          case "--seconds" -> seconds = positive(a, v);
          case "--seed" -> seed = Long.parseLong(need(a, v));
          case "--nemesis" -> nemesis = need(a, v);
          case "--clients" -> clients = positive(a, v);
          case "--request-timeout-ms" -> timeoutMs = positive(a, v);
          case "--out" -> out = Path.of(need(a, v));
          default -> throw new IllegalArgumentException("unknown option '" + a + "' (options: --seconds N --seed S"
              + " --nemesis " + KINDS + " --clients N --request-timeout-ms MS --out DIR)");
        }
        i++;
      }
      Set<Nemesis.Kind> faults = new TreeSet<>();
      boolean groups = false;
      boolean replicas = false;
      for (String k : nemesis.split(",")) {
        switch (k.trim()) {
          case "" -> { }
          case "migration" -> {
            groups = true;
            replicas = true;
          }
          case "groups" -> groups = true;
          case "replicas" -> replicas = true;
          default -> {
            try {
              faults.add(Nemesis.Kind.valueOf(k.trim().toUpperCase()));
            } catch (IllegalArgumentException e) {
              throw new IllegalArgumentException("unknown nemesis '" + k + "' (kinds: " + KINDS + ")");
            }
          }
        }
      }
      ClusterOps.Mode ops = groups && replicas ? ClusterOps.Mode.BOTH : groups ? ClusterOps.Mode.GROUPS
          : replicas ? ClusterOps.Mode.REPLICAS : null;
      return new Options(seconds, seed, faults, ops, clients, timeoutMs, out, 0);
    }

    private static String need(String flag, String v) {
      if (v == null) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      return v;
    }

    private static int positive(String flag, String v) {
      try {
        int n = Integer.parseInt(need(flag, v));
        if (n < 1) {
          throw new NumberFormatException();
        }
        return n;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(flag + " must be a positive integer, got '" + v + "'");
      }
    }
  }

  /** The outcome: {@code problems} empty means every check passed; {@code warnings} do not fail the run. */
  record Verdict(Path dir, List<String> problems, List<String> warnings, LinearizabilityChecker.Report lin,
                 List<Availability.PerKind> availability, TxnCheck.Result txn, TtlCheck.Result ttl,
                 ScanCheck.Result scans) {
    boolean ok() {
      return problems.isEmpty();
    }
  }

  /** How much longer than {@code seconds} a run waits for its {@code minFaults}. */
  static final Duration COVER_LIMIT = Duration.ofMinutes(3);

  private final Options o;
  private final long t0 = System.nanoTime();

  RobustnessRun(Options options) {
    this.o = options;
  }

  Verdict run() throws Exception {
    Path dir = o.outRoot().resolve(STAMP.format(Instant.now()) + "-seed" + o.seed());
    Path work = dir.resolve("work");
    Files.createDirectories(work);
    log("run %s: %d s, seed %d, faults %s%s, %d clients, proxy request timeout %d ms", dir, o.seconds(), o.seed(),
        o.faults(), o.operations() != null ? " + cluster operations (" + o.operations() + ")" : "", o.clients(),
        o.requestTimeoutMs());
    LocalMySqlServer local = LocalMySqlServer.findBinary().isPresent() ? LocalMySqlServer.launch(false) : null;
    if (local == null && o.faults().contains(Nemesis.Kind.MYSQL)) {
      throw new IllegalStateException("the mysql fault needs mariadbd/mysqld on this machine (scripts/lib/mysql.sh)");
    }
    MySqlServer server = local != null ? local : MySqlServers.shared();
    NodeNetwork network = null;
    if (o.faults().contains(Nemesis.Kind.PARTITION)) {
      String why = NodeNetwork.unavailableBecause();
      if (why != null) {
        throw new IllegalStateException(why);
      }
      network = NodeNetwork.create(o.seed());
      log("kv-nodes in their own network namespaces, bridge at %s", network.gateway());
    }
    // With the nodes in namespaces, the broker listens on the bridge's address, which they can reach.
    java.util.Map<String, String> brokerProps = network == null ? java.util.Map.of()
        : java.util.Map.of(io.kvpipe.testsupport.kafka.BrokerConfigFiles.LISTENER_HOST, network.gateway());
    try (KafkaBroker broker = KafkaBroker.start(work.resolve("kafka"), brokerProps, KafkaBroker.DEFAULT_START_TIMEOUT);
         MySqlDatabase db = MySqlDatabase.create(server, "robust")) {
      log("Kafka at %s, MySQL %s", broker.bootstrapServers(), db);
      // The proxies' request timeout: a write still unanswered then is answered 504, an unknown outcome.
      SystemStack.Builder b = SystemStack.builder(work).groups("g1", "g2").proxies("a", "b").spareNodes(1)
          .pipeline(broker.bootstrapServers(), db).archiveAsProcess()
          .proxyArgs("--request-timeout-ms", Integer.toString(o.requestTimeoutMs()));
      if (network != null) {
        b.network(network);
      }
      try (SystemStack stack = b.start()) {
        return runOn(stack, broker, local, network, db, dir);
      }
    } finally {
      if (local != null) {
        local.stop();
      }
      if (network != null) {
        network.close();
      }
    }
  }

  private Verdict runOn(SystemStack stack, KafkaBroker broker, LocalMySqlServer local, NodeNetwork network,
                        MySqlDatabase db, Path dir)
      throws Exception {
    String prefix = "r" + Long.toString(System.currentTimeMillis(), 36) + "s" + o.seed();
    RegisterWorkload.Settings settings = new RegisterWorkload.Settings(o.clients(), 6, 2_000, 0.5, o.seed(), 5,
        prefix);
    Duration clientTimeout = Duration.ofMillis(o.requestTimeoutMs()).plusSeconds(10);
    KvHttp[] proxies = {client(stack.proxy("a"), clientTimeout), client(stack.proxy("b"), clientTimeout)};
    List<String> problems = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    LinearizabilityChecker.Report lin;
    List<Availability.PerKind> availability;
    TxnCheck.Result txnResult;
    TtlCheck.Result ttlResult;
    ScanCheck.Result scanResult;
    try (HistoryRecorder history = new HistoryRecorder(dir.resolve("history.jsonl"));
         Timeline timeline = new Timeline(dir.resolve("timeline.jsonl"), history::now);
         TxnPairClients txns = new TxnPairClients(TXN_CLIENTS, TXN_PAIRS, o.seed(), prefix, TXN_CLIENT_BASE,
             c -> proxies[c % proxies.length], history, dir.resolve("txns.jsonl"));
         TtlClient ttl = new TtlClient(TTL_KEYS, o.seed(), prefix, () -> proxies[1], history,
             dir.resolve("ttl.jsonl"));
         ScanClient scanner = new ScanClient(prefix + "-cold-", SCAN_LIMIT, SCAN_CLIENT, p -> proxies[p % 2], history,
             s -> timeline.add(new Timeline.Event("scan", prefix + "-cold-*", s.call(), s.ret(), s.complete(),
                 s.keys() + " keys in " + s.pages().size() + " pages" + (s.complete() ? "" : ", " + s.error()))),
             dir.resolve("scans.jsonl"))) {
      RegisterWorkload workload = new RegisterWorkload(settings, c -> proxies[c % proxies.length], history);
      Nemesis nemesis = new Nemesis(stack, broker, local, network, o.faults(), o.seed(), timeline);
      ClusterOps ops = o.operations() != null ? new ClusterOps(stack, timeline, o.operations()) : null;
      try {
        workload.start();
        txns.start();
        ttl.start();
        scanner.start();
        log("workload started: %d clients over proxies a and b, keys %s-*; %d transaction clients on %d key pairs,"
            + " a TTL client on %d keys, a scan client (prefix %s-cold-, pages of %d)", o.clients(), prefix,
            TXN_CLIENTS, TXN_PAIRS, TTL_KEYS, prefix, SCAN_LIMIT);
        nemesis.start();
        if (ops != null) {
          ops.start();
        }
        faultPhase(history, nemesis);
      } finally {
        // Healed whatever happens: a node left stopped would outlive the run.
        log("stopping the nemesis (healing the fault in progress)%s",
            ops != null ? " and the cluster operations" : "");
        nemesis.close();
        if (ops != null) {
          ops.close();
        }
      }
      if (ops != null) {
        warnings.addAll(ops.failures().stream().map(f -> "cluster operation: " + f).toList());
        log("cluster operations: %d done, %d failed", ops.done(), ops.failures().size());
      }
      problems.addAll(nemesis.errors().stream().map(e -> "nemesis: " + e).toList());
      long healed = history.now();
      Poll.until("an acknowledged write after healing", Duration.ofMinutes(2), Duration.ofMillis(200),
          () -> history.lastOkWrite() > healed + Duration.ofSeconds(5).toNanos());
      workload.stop();
      txns.stop();
      ttl.stop();
      scanner.stop();
      progress(history);
      finalReads(workload, history, proxies[0]);
      log("history: %d ops in %s (%d transactions, %d scans); %d TTL puts", history.size(), history.file(),
          txns.txns().size(), scanner.scans().size(), ttl.writes().size());
      List<TtlCheck.FinalRead> ttlFinals = ttlFinalReads(ttl, proxies[0]);

      AdminApi admin = new AdminApi(stack.proxy("a").admin());
      SystemStack.Shards shards = stack.shards(admin);
      awaitExpiries(stack, shards, ttl, problems);
      StoreContents store = StoreContents.scan(stack, shards);
      store.duplicated().forEach(k -> problems.add("store: " + k + " is held by several groups"));
      HashRing ring = HashRing.of(shards.ring(), shards.vnodes());
      store.misplaced(ring).forEach(m -> problems.add("store: misplaced " + m));

      scanResult = ScanCheck.check(scanner.scans(), history.ops(), prefix + "-cold-");
      log("scans: %d (%d complete), %d keys returned, %d keys judged present/absent, %d problems",
          scanResult.scans(), scanResult.complete(), scanResult.keysReturned(), scanResult.keysJudged(),
          scanResult.problems().size());
      scanResult.problems().forEach(p -> problems.add("scan: " + p));
      if (scanResult.complete() == 0) {
        problems.add("scan: no scan completed");
      }
      log("checking linearizability of %d ops ...", history.size());
      lin = new LinearizabilityChecker(LinearizabilityChecker.DEFAULT_BUDGET, 2).check(history.ops());
      log("linearizability: %s", lin.summary());
      for (KeyResult r : lin.violations()) {
        problems.add("not linearizable: key " + r.key() + "\n" + r.explanation());
      }
      for (KeyResult r : lin.inconclusive()) {
        problems.add("linearizability not decided for key " + r.key() + ": " + r.explanation());
      }

      log("waiting for the pipeline to be idle ...");
      Poll.until("the pipeline to be idle (outboxes empty, every partition archived)", IDLE_WAIT,
          Duration.ofMillis(500), () -> stack.pipelineIdle(shards));
      ArchiveCheck.currentMatchesStore(db, store).forEach(p -> problems.add("kv_current vs store: " + p));
      ArchiveCheck.rowsNotFromClientEvents(db).forEach(p -> problems.add("kv_current: " + p));
      List<Op> writesSent = new ArrayList<>(history.ops());
      writesSent.addAll(ttl.asOps());
      ArchiveVerdict.changelogMatchesHistory(db, writesSent, prefix).forEach(p -> problems.add("archive: " + p));
      txnResult = TxnCheck.check(db, txns.txns(), prefix);
      log("transactions: %d (%d succeeded, %d refused by a compare, %d unknown), %d problems", txnResult.txns(),
          txnResult.succeeded(), txnResult.refused(), txnResult.unknown(), txnResult.problems().size());
      txnResult.problems().forEach(p -> problems.add("txn: " + p));
      if (txnResult.succeeded() == 0) {
        problems.add("txn: no transaction succeeded");
      }
      ttlResult = TtlCheck.check(ttl.writes(), ttlFinals, TtlCheck.expiryRows(db, prefix));
      log("ttl: %d puts (%d with a TTL), %d expiry rows, %d expiries required, %d keys judged, %d problems",
          ttlResult.writes(), ttlResult.withTtl(), ttlResult.expiryRows(), ttlResult.expectedExpired(),
          ttlResult.keysJudged(), ttlResult.problems().size());
      ttlResult.problems().forEach(p -> problems.add("ttl: " + p));
      if (ttlResult.expectedExpired() == 0) {
        problems.add("ttl: no key's last put was seen to expire");
      }
      TopicOrder.outOfOrder(stack.kafkaBootstrap(), stack.topic()).forEach(p -> problems.add("topic: " + p));
      availability = Availability.measure(history.ops(), timeline.events(),
          HashRing.of(List.of("g1", "g2"), shards.vnodes()));
      for (Availability.PerKind a : availability) {
        log("availability under %-8s: %3d faults, longest window without an acknowledged write p50 %5d ms, p99 %5d"
            + " ms, max %5d ms (%s)", a.kind(), a.faults(), a.p50Ms(), a.p99Ms(), a.maxMs(), a.worst());
      }
    }
    Verdict v = new Verdict(dir, problems, warnings, lin, availability, txnResult, ttlResult, scanResult);
    write(v);
    return v;
  }

  static final int TXN_CLIENTS = 2;
  static final int TXN_PAIRS = 8;
  static final int TXN_CLIENT_BASE = 100;
  static final int TTL_KEYS = 30;
  static final int SCAN_CLIENT = 200;
  static final int SCAN_LIMIT = 50;

  /**
   * After the TTL client stopped: waits (on the wall clock, which stamps the deadlines) until the last deadlines have
   * passed, then reads every TTL key once (retried until answered); these reads are judged by {@link TtlCheck}.
   */
  private List<TtlCheck.FinalRead> ttlFinalReads(TtlClient ttl, KvHttp via) {
    long until = 0;
    for (TtlClient.Write w : ttl.writes()) {
      if (w.ttlMs() > 0 && w.outcome() != Op.Outcome.FAILED) {
        until = Math.max(until, (w.outcome() == Op.Outcome.OK ? w.retWallMs() : w.callWallMs()
            + o.requestTimeoutMs()) + w.ttlMs() + 200);
      }
    }
    long deadlines = until;
    Poll.until("the TTL puts' deadlines to pass", Duration.ofMinutes(1), Duration.ofMillis(100),
        () -> System.currentTimeMillis() > deadlines);
    List<TtlCheck.FinalRead> out = new ArrayList<>();
    for (String key : ttl.keys()) {
      out.add(Poll.forValue("a final read of " + key, Duration.ofMinutes(1), () -> {
        try {
          KvHttp.Response r = via.send("GET", "/v1/kv/" + URLEncoder.encode(key, StandardCharsets.UTF_8), null);
          long wall = System.currentTimeMillis();
          if (r.status() == 200) {
            return new TtlCheck.FinalRead(key, true, new String(r.body(), StandardCharsets.UTF_8), wall);
          }
          return r.status() == 404 ? new TtlCheck.FinalRead(key, false, null, wall) : null;
        } catch (Exception e) {
          return null;
        }
      }));
    }
    log("TTL keys: %d read after their deadlines, %d found", out.size(),
        out.stream().filter(TtlCheck.FinalRead::found).count());
    return out;
  }

  /**
   * Keys past their deadline are hidden from reads at once but deleted by the leader's collector a little later; the
   * store is compared with the archive only once no TTL key holds a value that was put with a TTL (all of which are
   * past their deadlines by now), so the collector cannot change the store between that scan and the comparison.
   */
  private void awaitExpiries(SystemStack stack, SystemStack.Shards shards, TtlClient ttl, List<String> problems) {
    java.util.Set<String> withTtl = new java.util.HashSet<>();
    for (TtlClient.Write w : ttl.writes()) {
      if (w.ttlMs() > 0) {
        withTtl.add(w.key() + "=" + StoreContents.digest(w.value().getBytes(StandardCharsets.UTF_8)));
      }
    }
    List<String> left = new ArrayList<>();
    try {
      Poll.until("the TTL keys' expired values to be collected in the store", Duration.ofSeconds(90),
          Duration.ofMillis(250), () -> {
            StoreContents s = StoreContents.scan(stack, shards);
            left.clear();
            for (String k : ttl.keys()) {
              if (s.byKey().containsKey(k) && !s.only(k).deleted() && withTtl.contains(k + "=" + s.only(k).digest())) {
                left.add(k);
              }
            }
            return left.isEmpty();
          });
    } catch (AssertionError e) { // Poll's timeout: reported as a problem of the run, with the keys left
      problems.add("ttl: values put with a TTL still live in the store 90 s after the last deadline: " + left);
    }
  }

  /**
   * The run's length, with progress every 10 s: {@code seconds}, then (with {@code minFaults}) until the nemesis has
   * injected that many faults and every kind, or {@link #COVER_LIMIT} more has passed (the caller's checks then say
   * what is missing).
   */
  private void faultPhase(HistoryRecorder history, Nemesis nemesis) {
    long end = System.nanoTime() + Duration.ofSeconds(o.seconds()).toNanos();
    long limit = end + COVER_LIMIT.toNanos();
    long nextProgress = System.nanoTime();
    while (System.nanoTime() < end || (o.minFaults() > 0 && !nemesis.covered(o.minFaults())
        && System.nanoTime() < limit)) {
      if (System.nanoTime() >= nextProgress) {
        progress(history);
        nextProgress += Duration.ofSeconds(10).toNanos();
      }
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos()); // polls the clock and the nemesis's count
    }
    log("fault phase over after %d s: faults injected %s", Duration.ofNanos(System.nanoTime() - end).toSeconds()
        + o.seconds(), nemesis.injected());
  }

  /** A final linearizable read of every key the run touched, recorded like the others: the end state is checked. */
  private void finalReads(RegisterWorkload workload, HistoryRecorder history, KvHttp via) throws Exception {
    Set<String> touched = new LinkedHashSet<>();
    history.ops().forEach(op -> touched.add(op.key()));
    for (String key : touched) {
      // Retried while the healed cluster settles; every attempt goes into the history (one without an answer is
      // left out by the checker).
      Poll.until("a final read of " + key, Duration.ofMinutes(1), Duration.ofMillis(200), () -> {
        long id = history.nextId();
        long call = history.now();
        KvHttp.Response r;
        try {
          r = via.send("GET", "/v1/kv/" + URLEncoder.encode(key, StandardCharsets.UTF_8), null);
        } catch (Exception e) {
          history.record(new Op(id, -1, key, Op.Kind.GET, Op.ANY, null, Op.Outcome.UNKNOWN, false, 0, null, call,
              history.now(), "final " + e.getClass().getSimpleName()));
          return false;
        }
        long ret = history.now();
        boolean answered = r.status() == 200 || r.status() == 404;
        history.record(new Op(id, -1, key, Op.Kind.GET, Op.ANY, r.status() == 200
            ? new String(r.body(), StandardCharsets.UTF_8) : null, answered ? Op.Outcome.OK : Op.Outcome.UNKNOWN,
            r.status() == 200, r.status() == 200 ? r.version() : 0, null, call, ret,
            answered ? "final" : "final " + r.status()));
        return answered;
      });
    }
    log("final reads: %d keys", touched.size());
  }

  /** Client timeouts longer than the proxy's own, so only a hung proxy shows as a client-side timeout. */
  private static KvHttp client(ProxyProcess p, Duration timeout) {
    return new KvHttp(p.base(), SystemStack.DATA_TOKEN, timeout);
  }

  private void progress(HistoryRecorder h) {
    long last = h.lastOkWrite();
    log("progress: %d ops (%d ok, %d refused 412, %d failed, %d unknown), last acknowledged write %s", h.size(),
        h.count(Op.Outcome.OK), h.count(Op.Outcome.MISMATCH), h.count(Op.Outcome.FAILED), h.count(Op.Outcome.UNKNOWN),
        last < 0 ? "none yet" : String.format("%.1f s ago", (h.now() - last) / 1e9));
  }

  private void write(Verdict v) throws Exception {
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = json.createObjectNode().put("ok", v.ok()).put("seconds", o.seconds()).put("seed", o.seed())
        .put("faults", o.faults().toString()).put("requestTimeoutMs", o.requestTimeoutMs()).put("clusterOperations", String.valueOf(o.operations()));
    ObjectNode l = root.putObject("linearizability");
    l.put("ops", v.lin().opsChecked()).put("opsWithoutEffect", v.lin().opsIgnored()).put("keys", v.lin().keys())
        .put("violations", v.lin().violations().size()).put("inconclusive", v.lin().inconclusive().size())
        .put("seconds", v.lin().nanos() / 1e9);
    root.putObject("transactions").put("txns", v.txn().txns()).put("succeeded", v.txn().succeeded())
        .put("refusedByCompare", v.txn().refused()).put("unknown", v.txn().unknown())
        .put("problems", v.txn().problems().size());
    root.putObject("ttl").put("puts", v.ttl().writes()).put("withTtl", v.ttl().withTtl())
        .put("expiryRows", v.ttl().expiryRows()).put("expiriesRequired", v.ttl().expectedExpired())
        .put("keysJudged", v.ttl().keysJudged()).put("problems", v.ttl().problems().size());
    root.putObject("scans").put("scans", v.scans().scans()).put("complete", v.scans().complete())
        .put("keysReturned", v.scans().keysReturned()).put("keysJudged", v.scans().keysJudged())
        .put("problems", v.scans().problems().size());
    ArrayNode av = root.putArray("availability");
    for (Availability.PerKind a : v.availability()) {
      av.addObject().put("fault", a.kind()).put("faults", a.faults()).put("p50Ms", a.p50Ms()).put("p99Ms", a.p99Ms())
          .put("maxMs", a.maxMs()).put("worst", a.worst());
    }
    v.problems().forEach(root.putArray("problems")::add);
    v.warnings().forEach(root.putArray("warnings")::add);
    json.writeValue(v.dir().resolve("verdict.json").toFile(), root);
    log("verdict: %s (%d problems, %d warnings) in %s", v.ok() ? "OK" : "FAILED", v.problems().size(),
        v.warnings().size(), v.dir().resolve("verdict.json"));
    v.problems().stream().limit(20).forEach(p -> System.out.println("  problem: " + p));
    v.warnings().stream().limit(20).forEach(p -> System.out.println("  warning: " + p));
  }

  void log(String format, Object... args) {
    System.out.printf("[%6.1fs] %s%n", (System.nanoTime() - t0) / 1e9, String.format(format, args));
  }
}
