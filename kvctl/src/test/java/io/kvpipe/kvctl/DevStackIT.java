package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dev stack as a user runs it: {@code scripts/dev-stack.sh up} (on free ports, in a temporary directory, against
 * the class paths this build wrote), {@code scripts/demo.sh}, kvctl against the running stack (including bad
 * arguments and a wrong token), {@code kvctl verify-archive}, {@code up} again (idempotent), then {@code down}: every
 * process it started is gone.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DevStackIT {
  @TempDir
  static Path dir;

  private static DevStack stack;
  private static String proxyUrl;
  private static Map<String, String> stackEnv;
  private static Map<String, String> env;
  /** Set by the down of test 9, which test 10's up must follow immediately. */
  private static boolean downJustRan;

  @BeforeAll
  static void up() throws Exception {
    stack = DevStack.up(dir);
    proxyUrl = stack.proxyUrl();
    stackEnv = stack.env();
    env = stack.settings();
  }

  @AfterAll
  static void down() throws Exception {
    if (stack == null) {
      return;
    }
    stack.down();
    assertThat(stack.processesNamingTheStackDir()).as("processes of the stack still running after down").isEmpty();
  }

  @Test
  @Order(1)
  void writesAnEnvFileWithEverythingAClientNeeds() {
    assertThat(stackEnv).containsKeys("KVPIPE_PROXY_URL", "KVPIPE_TOKEN", "KVPIPE_ADMIN_TOKEN",
        "KVPIPE_KAFKA_BOOTSTRAP", "KVPIPE_MYSQL_HOST", "KVPIPE_MYSQL_PORT", "KVPIPE_MYSQL_USER",
        "KVPIPE_MYSQL_PASSWORD", "KVPIPE_MYSQL_DATABASE");
    assertThat(stackEnv.get("KVPIPE_PROXY_URL")).isEqualTo(proxyUrl);
    assertThat(stackEnv.get("KVPIPE_TOKEN")).hasSizeGreaterThanOrEqualTo(8).isNotEqualTo(
        stackEnv.get("KVPIPE_ADMIN_TOKEN"));
  }

  /**
   * kvctl watch against the stack's proxy (which reads the change topic): it prints changes of its prefix as JSON
   * lines, and a second watch resumed from the first change's position prints exactly the change after it.
   */
  @Test
  @Order(2)
  void kvctlWatchFollowsAPrefixAndResumesExactlyAfterAPosition() throws Exception {
    java.util.concurrent.CompletableFuture<KvctlRun> watch = java.util.concurrent.CompletableFuture.supplyAsync(
        () -> kvctl("watch", "devwatch/", "--count", "2", "--json"));
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    int[] n = {0};
    // The watch starts when its request reaches the proxy, which this test cannot see: write until it has two.
    io.kvpipe.testsupport.Poll.until("kvctl watch to print two changes", java.time.Duration.ofSeconds(120),
        java.time.Duration.ofMillis(200), () -> {
          var put = java.net.http.HttpRequest.newBuilder(java.net.URI.create(proxyUrl + "/v1/kv/devwatch/k"))
              .header("Authorization", "Bearer " + stackEnv.get("KVPIPE_TOKEN"))
              .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("v" + n[0]++)).build();
          try {
            assertThat(http.send(put, java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode())
                .isBetween(200, 201);
          } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("PUT devwatch/k failed", e);
          }
          return watch.isDone();
        });
    KvctlRun first = watch.get();
    assertThat(first.exitCode()).as(first.err()).isZero();
    List<com.fasterxml.jackson.databind.JsonNode> lines = new ArrayList<>();
    for (String l : first.out().strip().split("\n")) {
      lines.add(ProxyApi.JSON.readTree(l));
    }
    assertThat(lines).hasSize(2);
    assertThat(lines).allSatisfy(l -> assertThat(l.path("key").asText()).isEqualTo("devwatch/k"));
    assertThat(lines.get(1).path("version").asLong()).isGreaterThan(lines.get(0).path("version").asLong());
    KvctlRun resumed = kvctl("watch", "devwatch/", "--count", "1", "--json", "--from",
        lines.get(0).path("position").asText());
    assertThat(resumed.exitCode()).as(resumed.err()).isZero();
    assertThat(ProxyApi.JSON.readTree(resumed.out().strip())).isEqualTo(lines.get(1));
  }

  @Test
  @Order(2)
  void kvctlSeesTheRunningStack() {
    KvctlRun status = kvctl("status", "--node-url", stackEnv.get("KVPIPE_NODE_URLS"), "--consumer-url",
        stackEnv.get("KVPIPE_CONSUMER_URLS"));
    assertThat(status.exitCode()).as(status.out() + status.err()).isZero();
    assertThat(status.out()).contains("g1, g2").contains("n1, n2, n3").contains("problems          none");
    // Every process's health and readiness, and each group's leader.
    assertThat(status.out()).containsPattern("proxy\\s+\\S+\\s+ok\\s+ready")
        .containsPattern("cdc-consumer\\s+\\S+\\s+ok\\s+ready").doesNotContain("NOT READY");
    assertThat(status.out().lines().filter(l -> l.matches("kv-node\\s+\\S+\\s+ok\\s+ready.*"))).hasSize(3);
    assertThat(status.out()).containsPattern("g1\\s+n\\d\\s+n1\\s+(leader|follower)")
        .containsPattern("g2\\s+n\\d\\s+n3\\s+(leader|follower)");

    KvctlRun groups = kvctl("groups");
    assertThat(groups.exitCode()).as(groups.out() + groups.err()).isZero();
    assertThat(groups.out().lines().filter(l -> l.matches("g[12]\\s+(n\\d)\\s+\\1\\s+leader\\s.*")))
        .as("one leader row per group:\n" + groups.out()).hasSize(2);

    KvctlRun topology = kvctl("topology");
    assertThat(topology.exitCode()).as(topology.err()).isZero();
    assertThat(topology.out()).containsPattern("g1\\s+yes\\s+\\d+\\.\\d%").containsPattern("g2\\s+yes\\s+\\d+\\.\\d%");

    KvctlRun nodes = kvctl("nodes", "--json");
    assertThat(nodes.exitCode()).as(nodes.err()).isZero();
    assertThat(nodes.out()).contains("\"id\" : \"n1\"").contains("\"up\" : true").doesNotContain("\"up\" : false");

    KvctlRun migrations = kvctl("migrations", "list");
    assertThat(migrations.exitCode()).as(migrations.err()).isZero();
    assertThat(migrations.out()).contains("no migrations");
  }

  @Test
  @Order(3)
  void kvctlRefusesBadArgumentsAndBadTokensClearly() {
    KvctlRun wrongToken = KvctlRun.of("status", "--proxy", proxyUrl, "--token", "not-the-token");
    assertThat(wrongToken.exitCode()).isEqualTo(ExitCodes.SERVER_ERROR);
    assertThat(wrongToken.err()).contains("HTTP 401 UNAUTHORIZED");

    KvctlRun dataTokenOnAdmin = KvctlRun.of("nodes", "--probe", "--proxy", proxyUrl, "--token",
        stackEnv.get("KVPIPE_TOKEN"), "--admin-token", stackEnv.get("KVPIPE_TOKEN"));
    assertThat(dataTokenOnAdmin.exitCode()).isEqualTo(ExitCodes.SERVER_ERROR);
    assertThat(dataTokenOnAdmin.err()).contains("HTTP 403");

    KvctlRun badPeer = kvctl("groups", "add", "g3", "--peer", "n1-no-address");
    assertThat(badPeer.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(badPeer.err()).contains("peer must be id@host:port");

    KvctlRun unknown = kvctl("topology", "--shards");
    assertThat(unknown.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(unknown.err()).contains("Unknown option: '--shards'");
  }

  @Test
  @Order(4)
  void demoWritesThroughTheProxyAndPrintsTheAudit() throws Exception {
    DevStack.Result r = run(180, "scripts/demo.sh");
    assertThat(r.code()).as(r.output()).isZero();
    assertThat(r.output()).contains("archived within").contains("recipe key-history").contains("alice v2")
        .contains("demo:bob").contains("demo: done");
  }

  @Test
  @Order(5)
  void verifyArchiveFindsTheArchiveConsistent() throws Exception {
    // Through the wrapper a user runs, with the environment the stack wrote.
    DevStack.Result r = run(180, "scripts/kvctl", "verify-archive", "--wait-s", "60");
    assertThat(r.code()).as(r.output()).isZero();
    assertThat(r.output()).contains("consistent: every live key").containsPattern("store: [1-9]\\d* live keys");

    KvctlRun json = kvctl("verify-archive", "--json", "--mysql-host", stackEnv.get("KVPIPE_MYSQL_HOST"),
        "--mysql-port", stackEnv.get("KVPIPE_MYSQL_PORT"), "--mysql-database", stackEnv.get("KVPIPE_MYSQL_DATABASE"),
        "--mysql-user", stackEnv.get("KVPIPE_MYSQL_USER"), "--mysql-password", stackEnv.get("KVPIPE_MYSQL_PASSWORD"));
    assertThat(json.exitCode()).as(json.err()).isZero();
    assertThat(json.out()).contains("\"consistent\" : true").contains("\"differenceCount\" : 0");
  }

  @Test
  @Order(5)
  void theStacksMysqlAccountIsTheAuditorWhichOnlyReads() throws Exception {
    assertThat(stackEnv.get("KVPIPE_MYSQL_USER")).endsWith("_auditor");
    String url = "jdbc:mysql://" + stackEnv.get("KVPIPE_MYSQL_HOST") + ":" + stackEnv.get("KVPIPE_MYSQL_PORT") + "/"
        + stackEnv.get("KVPIPE_MYSQL_DATABASE");
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(url, stackEnv.get("KVPIPE_MYSQL_USER"),
        stackEnv.get("KVPIPE_MYSQL_PASSWORD")); java.sql.Statement s = c.createStatement()) {
      java.sql.ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM kv_changelog");
      assertThat(rs.next()).isTrue();
      long rows = rs.getLong(1);
      assertThat(rows).isPositive();
      assertThatThrownBy(() -> s.execute("DELETE FROM kv_changelog")).hasMessageContaining("denied");
      assertThatThrownBy(() -> s.execute("DROP TABLE kv_current")).hasMessageContaining("denied");
      rs = s.executeQuery("SELECT COUNT(*) FROM kv_changelog");
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(rows);
    }
  }

  @Test
  @Order(6)
  void kvctlAddsAShardGroupOnlineAndTheArchiveStaysConsistent() throws Exception {
    List<String> add = new ArrayList<>(List.of("groups", "add", "g3"));
    for (String peer : stackEnv.get("KVPIPE_META_PEERS").split(",")) {
      add.addAll(List.of("--peer", peer));
    }
    KvctlRun added = kvctl(add.toArray(String[]::new));
    assertThat(added.exitCode()).as(added.err()).isZero();
    assertThat(added.out()).contains("group g3 added; migration");

    KvctlRun watch = kvctl("migrations", "watch", "--interval-ms", "200", "--timeout-s", "180");
    assertThat(watch.exitCode()).as(watch.out() + watch.err()).isZero();
    assertThat(watch.out()).contains("no migration in flight");

    KvctlRun list = kvctl("migrations", "list");
    assertThat(list.out()).containsPattern("add-group\\s+done");
    KvctlRun status = kvctl("status");
    assertThat(status.out()).contains("g1, g2, g3");

    DevStack.Result verify = run(180, "scripts/kvctl", "verify-archive", "--wait-s", "60");
    assertThat(verify.code()).as(verify.output()).isZero();
    assertThat(verify.output()).contains("consistent: every live key").contains("g3");
  }

  /**
   * add-node starts a kv-node that follows the topology; it becomes a replica of g1 through kvctl peers add, and
   * remove-node refuses to stop it until kvctl peers remove took it out. n5 is left running: down must stop it too.
   */
  @Test
  @Order(7)
  void addNodeAndRemoveNodeWalkAReplicaInAndOut() throws Exception {
    DevStack.Result added = run(180, "scripts/dev-stack.sh", "add-node", "n4");
    assertThat(added.code()).as(added.output()).isZero();
    String n4Port = String.valueOf(Integer.parseInt(env.get("KVPIPE_DEVSTACK_NODE_PORT_BASE")) + 3);
    assertThat(added.output()).contains("Next:  scripts/kvctl peers add g1 n4@127.0.0.1:" + n4Port);
    stack.started(Long.parseLong(Files.readString(dir.resolve("stack/pids/kv-node-n4.pid")).trim()));
    // kvctl status reads the kv-nodes from the env file: the added node is in it, and leaves it with remove-node.
    String n4Url = "http://127.0.0.1:" + (Integer.parseInt(env.get("KVPIPE_DEVSTACK_NODE_METRICS_PORT_BASE")) + 3);
    assertThat(nodeUrls()).endsWith(n4Url).hasSize(4);
    assertThat(run(30, "scripts/dev-stack.sh", "add-node", "n1").code()).as("n1 is the stack's own").isNotZero();

    KvctlRun join = kvctl("peers", "add", "g1", "n4@127.0.0.1:" + n4Port);
    assertThat(join.exitCode()).as(join.err()).isZero();
    io.kvpipe.testsupport.Poll.until("n4 listed as a replica of g1", java.time.Duration.ofSeconds(120),
        java.time.Duration.ofMillis(500), () -> kvctl("topology").out().contains("n4@"));
    DevStack.Result refused = run(60, "scripts/dev-stack.sh", "remove-node", "n4");
    assertThat(refused.code()).as(refused.output()).isNotZero();
    assertThat(refused.output()).contains("n4 is still a replica of a group");

    KvctlRun leave = kvctl("peers", "remove", "g1", "n4");
    assertThat(leave.exitCode()).as(leave.err()).isZero();
    io.kvpipe.testsupport.Poll.until("n4 gone from g1", java.time.Duration.ofSeconds(120),
        java.time.Duration.ofMillis(500), () -> !kvctl("topology").out().contains("n4@"));
    DevStack.Result removed = run(120, "scripts/dev-stack.sh", "remove-node", "n4");
    assertThat(removed.code()).as(removed.output()).isZero();
    assertThat(Files.exists(dir.resolve("stack/pids/kv-node-n4.pid"))).isFalse();
    assertThat(nodeUrls()).doesNotContain(n4Url).hasSize(3);

    DevStack.Result spare = run(180, "scripts/dev-stack.sh", "add-node", "n5");
    assertThat(spare.code()).as(spare.output()).isZero();
    stack.started(Long.parseLong(Files.readString(dir.resolve("stack/pids/kv-node-n5.pid")).trim()));
    DevStack.Result status = run(60, "scripts/dev-stack.sh", "status");
    assertThat(status.output()).contains("kv-node-n5     running");
    assertThat(nodeUrls()).hasSize(4);
    KvctlRun kvctlStatus = kvctl("status", "--node-url", String.join(",", nodeUrls()));
    assertThat(kvctlStatus.out().lines().filter(l -> l.matches("kv-node\\s+\\S+\\s+ok\\s+ready.*")))
        .as(kvctlStatus.out()).hasSize(4);
  }

  /** KVPIPE_NODE_URLS of the env file the stack wrote last. */
  private static List<String> nodeUrls() throws IOException {
    for (String line : Files.readAllLines(stack.envFile())) {
      if (line.startsWith("export KVPIPE_NODE_URLS=")) {
        return List.of(line.substring(line.indexOf('=') + 1).replace("'", "").split(","));
      }
    }
    throw new AssertionError("no KVPIPE_NODE_URLS in " + stack.envFile());
  }

  @Test
  @Order(8)
  void upAgainReportsTheRunningStackAndStartsNothing() throws Exception {
    DevStack.Result r = run(120, "scripts/dev-stack.sh", "up");
    assertThat(r.code()).as(r.output()).isZero();
    assertThat(r.output()).contains("already running").doesNotContain("started ");
    DevStack.Result status = run(60, "scripts/dev-stack.sh", "status");
    assertThat(status.code()).as(status.output()).isZero();
    assertThat(status.output()).contains("proxy          running").contains("\"status\":\"ready\"");
  }

  /**
   * As if {@code down} ran while {@code up} had started the broker but not yet recorded it (issue 16: that left a
   * broker no pid file named, and the next {@code up} failed on its ports): down must stop it all the same.
   */
  @Test
  @Order(9)
  void downStopsEverythingEvenABrokerNoPidFileNames() throws Exception {
    Files.deleteIfExists(dir.resolve("stack/pids/kafka.pid"));
    List<Long> left = stack.down(); // exit 0, or it throws with the output
    downJustRan = true;
    try (Stream<Path> pidFiles = Files.list(dir.resolve("stack/pids"))) {
      assertThat(pidFiles.toList()).as("pid files after down").isEmpty();
    }
    assertThat(stack.startedPids()).hasSizeGreaterThanOrEqualTo(7);
    assertThat(left).as("processes still running after down").isEmpty();
    assertThat(stack.processesNamingTheStackDir()).as("processes of the stack after down").isEmpty();
  }

  /**
   * Issue 16: {@code down} immediately followed by {@code up} failed with "kafka did not start". The down is the
   * previous test's (it ran on the running stack, exited 0 and left nothing running: asserted there); nothing else runs
   * between it and this up. (Starting a stack just to stop it again here cost a whole stack start, ~35 s.)
   */
  @Test
  @Order(10)
  void downImmediatelyFollowedByUpStartsTheWholeStackAgain() throws Exception {
    assertThat(downJustRan).as("the previous test's down ran just before (test order)").isTrue();
    DevStack.Result up = run(600, "scripts/dev-stack.sh", "up");
    assertThat(up.code()).as(up.output()).isZero();
    assertThat(up.output()).contains("dev-stack: ready");
    assertThat(stack.untrackedProcesses()).as("processes no pid file names").isEmpty();
    assertThat(stack.processesNamingTheStackDir()).hasSizeGreaterThanOrEqualTo(7);
  }

  /** Two downs at once (a second terminal, a retry): both succeed, and nothing is left running. */
  @Test
  @Order(11)
  void twoDownsAtOnceStopEverything() throws Exception {
    upAndReady();
    Process a = stack.start(dir.resolve("down-a.log"), "scripts/dev-stack.sh", "down");
    Process b = stack.start(dir.resolve("down-b.log"), "scripts/dev-stack.sh", "down");
    assertThat(finished(a, 180)).as(Files.readString(dir.resolve("down-a.log"))).isZero();
    assertThat(finished(b, 180)).as(Files.readString(dir.resolve("down-b.log"))).isZero();
    assertThat(stack.processesNamingTheStackDir()).as("processes of the stack after two downs").isEmpty();
    DevStack.Result again = run(180, "scripts/dev-stack.sh", "down");
    assertThat(again.code()).as(again.output()).isZero();
    assertThat(stack.pidFiles()).isEmpty();
  }

  /**
   * {@code up} and {@code down} at the same time, the down arriving while up is starting the broker: one runs after
   * the other (whichever first), each as if alone, and no process is left that no pid file names.
   */
  @Test
  @Order(12)
  void upAndDownAtTheSameTimeLeaveNoUntrackedProcess() throws Exception {
    assertThat(stack.processesNamingTheStackDir()).isEmpty();
    Files.deleteIfExists(dir.resolve("stack/kafka/kafka.pid"));
    Process up = stack.start(dir.resolve("race-up.log"), "scripts/dev-stack.sh", "up");
    io.kvpipe.testsupport.Poll.until("up to start the broker", java.time.Duration.ofSeconds(120),
        java.time.Duration.ofMillis(5), () -> Files.exists(dir.resolve("stack/kafka/kafka.pid")) || !up.isAlive());
    Process down = stack.start(dir.resolve("race-down.log"), "scripts/dev-stack.sh", "down");
    int upCode = finished(up, 600);
    int downCode = finished(down, 600);
    String upOut = Files.readString(dir.resolve("race-up.log"));
    assertThat(upCode).as(upOut).isZero();
    assertThat(upOut).contains("dev-stack: ready");
    String downOut = Files.readString(dir.resolve("race-down.log"));
    assertThat(downCode).as(downOut).isZero();
    // The down came while up held the lock: it waited for it, saying so, then stopped what up had started.
    assertThat(downOut).contains("waiting for another dev-stack.sh command").contains("stopped proxy");
    assertThat(stack.untrackedProcesses()).as("processes no pid file names").isEmpty();
    // Whichever ran second decided the state; a down now must leave nothing.
    DevStack.Result last = run(180, "scripts/dev-stack.sh", "down");
    assertThat(last.code()).as(last.output()).isZero();
    assertThat(stack.processesNamingTheStackDir()).as("processes of the stack after the last down").isEmpty();
  }

  private static void upAndReady() throws Exception {
    DevStack.Result up = run(600, "scripts/dev-stack.sh", "up");
    assertThat(up.code()).as(up.output()).isZero();
    assertThat(stack.untrackedProcesses()).as("processes no pid file names").isEmpty();
  }

  private static int finished(Process p, long timeoutS) throws InterruptedException {
    if (!p.waitFor(timeoutS, java.util.concurrent.TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("a dev-stack.sh command did not finish in " + timeoutS + " s");
    }
    return p.exitValue();
  }

  private static KvctlRun kvctl(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--proxy", proxyUrl, "--token", stackEnv.get("KVPIPE_TOKEN"), "--admin-token",
        stackEnv.get("KVPIPE_ADMIN_TOKEN")));
    return KvctlRun.of(all.toArray(String[]::new));
  }

  private static DevStack.Result run(long timeoutS, String... command) throws IOException, InterruptedException {
    return stack.run(timeoutS, command);
  }
}
