package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Static checks of docker-compose.yml and docker/Dockerfile (no Docker engine runs here): structure, health checks,
 * dependency conditions, published ports, volumes, and every KVPIPE_* variable against the services' flag tables.
 */
class ComposeFileTest {
  private static final Set<String> KVPIPE_PROCESSES = Set.of("kv-node", "proxy", "cdc-consumer");
  /** Variables the kvpipe image reads besides the services' flags: logging and the JVM options. */
  private static final Set<String> IMAGE_VARIABLES = Set.of("KVPIPE_LOG_LEVEL", "JAVA_OPTS");

  private static Map<String, Object> compose;
  private static Map<String, Map<String, Object>> services;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void load() throws IOException {
    compose = loadYaml("docker-compose.yml");
    services = (Map<String, Map<String, Object>>) compose.get("services");
  }

  @Test
  void hasTheWholeStack() {
    assertThat(services).containsKeys("kafka", "mysql", "kv-node-1", "kv-node-2", "kv-node-3", "proxy",
        "cdc-consumer");
    assertThat((String) services.get("kafka").get("image")).startsWith("apache/kafka:");
    assertThat((String) services.get("mysql").get("image")).isEqualTo("mysql:8.4");
  }

  /** Services that run once and exit (e.g. making a key pair): others wait for them to complete, not to be healthy. */
  private static Set<String> oneShot() {
    Set<String> out = new HashSet<>();
    services.forEach((name, s) -> {
      if ("no".equals(s.get("restart")) && !s.containsKey("healthcheck")) {
        out.add(name);
      }
    });
    return out;
  }

  @Test
  void everyServiceHasAHealthCheck() {
    services.forEach((name, s) -> {
      if (oneShot().contains(name)) {
        return;
      }
      assertThat(s).as(name + " healthcheck").containsKey("healthcheck");
      Map<?, ?> hc = (Map<?, ?>) s.get("healthcheck");
      assertThat(hc.get("test")).as(name + " healthcheck test").isInstanceOf(List.class);
      assertThat((List<?>) hc.get("test")).as(name).isNotEmpty();
    });
  }

  @Test
  void dependenciesExistAndWaitForHealth() {
    services.forEach((name, s) -> {
      Object dependsOn = s.get("depends_on");
      if (dependsOn == null) {
        return;
      }
      assertThat(dependsOn).as(name + " depends_on must be a map with conditions").isInstanceOf(Map.class);
      ((Map<?, ?>) dependsOn).forEach((dep, cond) -> {
        assertThat(services).as(name + " depends on " + dep).containsKey((String) dep);
        assertThat(((Map<?, ?>) cond).get("condition")).as(name + " -> " + dep).isEqualTo(
            oneShot().contains((String) dep) ? "service_completed_successfully" : "service_healthy");
      });
    });
    assertThat(services.get("proxy").get("depends_on")).asInstanceOf(
        org.assertj.core.api.InstanceOfAssertFactories.MAP).containsKeys("kv-node-1", "kv-node-2", "kv-node-3");
    assertThat(services.get("cdc-consumer").get("depends_on")).asInstanceOf(
        org.assertj.core.api.InstanceOfAssertFactories.MAP).containsKeys("kafka", "mysql");
  }

  @Test
  void publishedPortsAreOnLoopbackOnly() {
    List<String> published = new ArrayList<>();
    services.forEach((name, s) -> {
      for (Object p : (List<?>) s.getOrDefault("ports", List.of())) {
        assertThat(p).as(name + " port").isInstanceOf(String.class);
        assertThat((String) p).as(name + " port").startsWith("127.0.0.1:");
        published.add(name);
      }
    });
    // The proxy publishes HTTP and its Redis protocol port.
    assertThat(published).containsExactlyInAnyOrder("proxy", "proxy", "mysql");
  }

  @Test
  void publishedHostPortsCanBeMovedOffTakenOnes() {
    // A machine that already runs a MySQL on 127.0.0.1:3306 could not start the stack (bind: address in use).
    assertThat(services.get("mysql").get("ports")).asList()
        .containsExactly("127.0.0.1:${KVPIPE_COMPOSE_MYSQL_PORT:-3306}:3306");
    assertThat(services.get("proxy").get("ports")).asList()
        .containsExactly("127.0.0.1:${KVPIPE_COMPOSE_PROXY_PORT:-8080}:8080",
            "127.0.0.1:${KVPIPE_COMPOSE_RESP_PORT:-6380}:6380");
  }

  @Test
  void longRunningKvpipeServicesAreStartedAgainAfterAnExit() {
    // The proxy exits when the meta group has not answered 60 s after its start (seen on a real engine): without a
    // restart policy the stack stayed without a proxy.
    services.forEach((name, s) -> {
      if (process(s) != null) {
        assertThat(s.get("restart")).as(name + " restart policy").isEqualTo("on-failure");
      }
    });
  }

  @Test
  void theLocalOverrideChangesOnlyImagesAndBuilds() throws IOException {
    Map<String, Object> local = loadYaml("docker-compose.local.yml");
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> overridden = (Map<String, Map<String, Object>>) local.get("services");
    assertThat(services.keySet()).containsAll(overridden.keySet());
    Set<String> built = new HashSet<>(services.keySet());
    overridden.forEach((name, s) -> {
      assertThat(s.keySet()).as(name).isSubsetOf("image", "build");
      Map<?, ?> build = (Map<?, ?>) s.get("build");
      assertThat(build.get("dockerfile")).as(name + ": compose merges build key by key").isEqualTo("Dockerfile");
      String context = build.get("context").toString();
      assertThat(context).as(name).startsWith("target/compose-local/");
      String source = "docker/local/" + context.substring("target/compose-local/".length()) + "/Dockerfile";
      assertThat(RepoFiles.root().resolve(source)).as(name + " " + source).isRegularFile();
      built.remove(name);
    });
    assertThat(built).as("services the override leaves on a registry image or on docker/Dockerfile").isEmpty();
  }

  @Test
  void theLocalImagesProvideWhatTheHealthChecksRun() throws IOException {
    assertThat(healthCommand("kafka")).contains("/opt/kafka/bin/kafka-broker-api-versions.sh");
    assertThat(RepoFiles.root().resolve("docker/local/kafka/bin/kafka-broker-api-versions.sh")).isExecutable();
    assertThat(healthCommand("mysql")).contains("mysqladmin ping");
    assertThat(Files.readString(RepoFiles.root().resolve("docker/local/mariadb/Dockerfile")))
        .contains("mariadb-client"); // Debian trixie's holds mysqladmin and mysql (compat names of mariadb-*)
    String upstream = Files.readString(RepoFiles.root().resolve("docker/Dockerfile"));
    String local = Files.readString(RepoFiles.root().resolve("docker/local/kvpipe/Dockerfile"));
    for (String line : List.of("USER kvpipe", "VOLUME /data", "ENTRYPOINT [\"/opt/kvpipe/bin/kvpipe-launch.sh\"]")) {
      assertThat(upstream).contains(line);
      assertThat(local).contains(line);
    }
  }

  private static String healthCommand(String service) {
    return ((Map<?, ?>) services.get(service).get("healthcheck")).get("test").toString();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> loadYaml(String file) throws IOException {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    return new Yaml(options).load(Files.readString(RepoFiles.root().resolve(file)));
  }

  @Test
  void dataLivesInDeclaredNamedVolumes() {
    Set<String> declared = ((Map<?, ?>) compose.get("volumes")).keySet().stream().map(Object::toString)
        .collect(java.util.stream.Collectors.toSet());
    Set<String> used = new HashSet<>();
    services.forEach((name, s) -> {
      for (Object v : (List<?>) s.getOrDefault("volumes", List.of())) {
        String source = v.toString().split(":")[0];
        assertThat(source).as(name + " volume must be named, not a host path").doesNotStartWith(".")
            .doesNotStartWith("/");
        assertThat(declared).as(name + " volume " + source).contains(source);
        used.add(source);
      }
    });
    assertThat(used).containsExactlyInAnyOrderElementsOf(declared);
    for (String stateful : List.of("kafka", "mysql", "kv-node-1", "kv-node-2", "kv-node-3")) {
      assertThat(services.get(stateful)).as(stateful + " keeps data in a volume").containsKey("volumes");
    }
  }

  @Test
  void kvpipeVariablesAreOnesTheServicesRead() {
    Map<String, Map<String, ServiceFlags.Flag>> flags = ServiceFlags.all();
    int checked = 0;
    for (Map.Entry<String, Map<String, Object>> e : services.entrySet()) {
      String process = process(e.getValue());
      if (process == null) {
        continue;
      }
      Set<String> known = new HashSet<>(IMAGE_VARIABLES);
      flags.get(process).values().forEach(f -> known.add(f.env()));
      Map<?, ?> env = (Map<?, ?>) e.getValue().get("environment");
      assertThat(env).as(e.getKey() + " environment").isNotNull();
      for (Object name : env.keySet()) {
        assertThat(known).as(e.getKey() + " (" + process + ") sets " + name + ", which it does not read")
            .contains(name.toString());
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(20);
  }

  @Test
  void kvpipeServicesAreHealthyOnlyWhenReady() {
    for (String name : List.of("kv-node-1", "kv-node-2", "kv-node-3", "proxy", "cdc-consumer")) {
      String test = ((Map<?, ?>) services.get(name).get("healthcheck")).get("test").toString();
      assertThat(test).as(name + " healthcheck").contains("/ready").doesNotContain("/metrics");
    }
  }

  @Test
  void theProxyServesHttpsWithAKeyPairMadeOnFirstStart() throws IOException {
    assertThat(env("proxy", "KVPIPE_PROXY_HTTP_TLS_CERT")).isEqualTo("/https/proxy.p12");
    assertThat(env("proxy", "KVPIPE_PROXY_HTTP_TLS_PASSWORD_FILE")).isEqualTo("/https/proxy.p12.password");
    assertThat(services.get("proxy").get("volumes").toString()).contains("proxy-https:/https:ro");
    assertThat(services.get("proxy-https-cert").get("command").toString()).startsWith("[proxy-https-cert, /https");
    assertThat(services.get("proxy-https-cert").get("volumes").toString()).isEqualTo("[proxy-https:/https]");
    assertThat(((Map<?, ?>) services.get("proxy").get("healthcheck")).get("test").toString()).contains("https");
    String launcher = Files.readString(RepoFiles.root().resolve("docker/kvpipe-launch.sh"));
    assertThat(launcher).contains("proxy-https-cert)");
    assertThat(RepoFiles.root().resolve("docker/proxy-https-cert.sh")).isExecutable();
    assertThat(Files.readString(RepoFiles.root().resolve("docker/Dockerfile"))).contains("docker/proxy-https-cert.sh");
  }

  @Test
  void theConsumerWritesWithItsOwnAccountAndAuditorsOnlyRead() {
    assertThat(env("cdc-consumer", "KVPIPE_JDBC_USER")).isEqualTo("kvpipe_writer");
    assertThat(env("cdc-consumer", "KVPIPE_FLYWAY_USER")).isEqualTo(env("mysql", "MYSQL_USER"));
    String accounts = services.get("archive-accounts").get("command").toString();
    assertThat(accounts).startsWith("[kvctl, archive-accounts").contains("kvpipe_writer").contains("kvpipe_auditor");
    assertThat(env("archive-accounts", "KVPIPE_ARCHIVE_WRITER_PASSWORD"))
        .isEqualTo(env("cdc-consumer", "KVPIPE_JDBC_PASSWORD"));
    assertThat(((Map<?, ?>) services.get("cdc-consumer").get("depends_on")).keySet().toString())
        .contains("archive-accounts");
    assertThat(services.get("mysql").get("command").toString()).contains("--skip-log-bin");
  }

  @Test
  void kvNodesAndProxyAgreeOnTheGroups() {
    String groups = env("kv-node-1", "KVPIPE_GROUPS");
    for (String node : List.of("kv-node-2", "kv-node-3")) {
      assertThat(env(node, "KVPIPE_GROUPS")).as(node).isEqualTo(groups);
    }
    List<String> specs = List.of(groups.split(";"));
    String meta = specs.stream().filter(g -> g.startsWith("meta=")).findFirst().orElseThrow();
    assertThat(env("proxy", "KVPIPE_META_PEERS")).isEqualTo(meta.substring("meta=".length()));
    List<String> shards = specs.stream().filter(g -> !g.startsWith("meta=")).toList();
    assertThat(shards).hasSize(2);
    assertThat(env("proxy", "KVPIPE_PROXY_BOOTSTRAP_GROUPS")).isEqualTo(String.join(";", shards));
    // Every peer address names a compose service, and each node id lives on its own service.
    for (String peer : meta.substring(5).split(",")) {
      String host = peer.substring(peer.indexOf('@') + 1, peer.lastIndexOf(':'));
      assertThat(services).containsKey(host);
      assertThat(env(host, "KVPIPE_NODE_ID")).isEqualTo(peer.substring(0, peer.indexOf('@')));
    }
  }

  @Test
  void imageBuildsFromTheProjectAndRunsUnprivileged() throws IOException {
    Path dockerfile = RepoFiles.root().resolve("docker/Dockerfile");
    for (String s : KVPIPE_PROCESSES.stream().flatMap(p -> services.entrySet().stream()
        .filter(e -> p.equals(process(e.getValue()))).map(Map.Entry::getKey)).toList()) {
      Map<?, ?> build = (Map<?, ?>) services.get(s).get("build");
      assertThat(build).as(s + " build").isNotNull();
      assertThat(build.get("dockerfile")).isEqualTo("docker/Dockerfile");
      assertThat(build.get("context")).isEqualTo(".");
    }
    List<String> lines = Files.readAllLines(dockerfile);
    long stages = lines.stream().filter(l -> l.startsWith("FROM ")).count();
    assertThat(stages).as("multi-stage build").isGreaterThanOrEqualTo(2);
    int lastFrom = 0;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith("FROM ")) {
        lastFrom = i;
      }
    }
    List<String> runtime = lines.subList(lastFrom, lines.size());
    assertThat(runtime).as("runtime stage user").anyMatch(l -> l.matches("USER\\s+(?!root\\b|0\\b)\\S+"));
    assertThat(String.join("\n", lines)).contains("mvn").contains("install");
    for (String helper : List.of("docker/kvpipe-launch.sh", "docker/healthcheck.sh", "docker/collect-runtime.sh")) {
      assertThat(RepoFiles.root().resolve(helper)).as(helper).isRegularFile().isExecutable();
    }
    String launcher = Files.readString(RepoFiles.root().resolve("docker/kvpipe-launch.sh"));
    KVPIPE_PROCESSES.forEach(p -> assertThat(launcher).contains(p + ")"));
  }

  /** The kvpipe process a service runs (its command's first word), or null for third-party images. */
  private static String process(Map<String, Object> service) {
    Object command = service.get("command");
    if (!(command instanceof List<?> list) || list.isEmpty()) {
      return null;
    }
    String first = list.get(0).toString();
    return KVPIPE_PROCESSES.contains(first) ? first : null;
  }

  private static String env(String service, String name) {
    Object v = ((Map<?, ?>) services.get(service).get("environment")).get(name);
    assertThat(v).as(service + " " + name).isNotNull();
    return v.toString();
  }
}
