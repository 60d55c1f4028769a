package io.kvpipe.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.Ports;
import io.kvpipe.testsupport.tls.TestTls;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The reference peer: a 3-member etcd cluster of Debian's {@code etcd} binary on loopback, with its defaults (fsync
 * on), each member its own process with a data dir under a temporary directory that {@link #close} kills and deletes.
 * Clients use the v3 HTTP/JSON gateway on each member's client port (plain HTTP, as clients reach kvpipe's proxy).
 * Members talk to each other in plaintext or, given certificates, over mutual TLS ({@code --peer-client-cert-auth}),
 * as kvpipe's kv-nodes do by default: like for like, a secure etcd deployment. The members' process ids are appended to a pid
 * file when one is given, so the calling script can kill them even if this JVM dies.
 */
final class EtcdCluster implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration START = Duration.ofSeconds(60);
  /** etcd's default --max-txn-ops is 128. */
  private static final int TXN_OPS = 100;

  private final Path dir;
  private final Map<String, Integer> clientPorts = new LinkedHashMap<>();
  private final Map<String, Process> members = new LinkedHashMap<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private EtcdCluster(Path dir) {
    this.dir = dir;
  }

  static EtcdCluster start(String binary, Path pidFile, PrintStream out) throws IOException {
    return start(binary, pidFile, TestTls.PLAINTEXT, out);
  }

  /** @param peerTls the members' certificate, key and CA for mutual TLS between them; {@link TestTls#PLAINTEXT}: none */
  static EtcdCluster start(String binary, Path pidFile, TestTls.Files peerTls, PrintStream out) throws IOException {
    Path dir = Files.createTempDirectory("kvpipe-bench-etcd-");
    EtcdCluster c = new EtcdCluster(dir);
    try {
      Map<String, Integer> peerPorts = new LinkedHashMap<>();
      for (String name : List.of("e1", "e2", "e3")) {
        c.clientPorts.put(name, Ports.freePort());
        peerPorts.put(name, Ports.freePort());
      }
      boolean tls = peerTls.cert() != null;
      String peerScheme = tls ? "https" : "http";
      List<String> initial = new ArrayList<>();
      peerPorts.forEach((n, p) -> initial.add(n + "=" + peerScheme + "://127.0.0.1:" + p));
      out.printf("== starting 3 etcd members (%s, %s between members) in %s%n", binary,
          tls ? "mutual TLS" : "plaintext", dir);
      for (String name : c.clientPorts.keySet()) {
        String client = "http://127.0.0.1:" + c.clientPorts.get(name);
        String peer = peerScheme + "://127.0.0.1:" + peerPorts.get(name);
        List<String> command = new ArrayList<>(List.of(binary, "--name", name, "--data-dir",
            dir.resolve(name).toString(), "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster",
            String.join(",", initial), "--initial-cluster-state", "new", "--initial-cluster-token", "kvpipe-bench",
            "--logger", "zap", "--log-level", "warn"));
        if (tls) {
          command.addAll(List.of("--peer-cert-file", peerTls.cert().toString(), "--peer-key-file",
              peerTls.key().toString(), "--peer-trusted-ca-file", peerTls.ca().toString(), "--peer-client-cert-auth"));
        }
        Process p = new ProcessBuilder(command)
            .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
        c.members.put(name, p);
        if (pidFile != null) {
          Files.writeString(pidFile, p.pid() + "\n", StandardCharsets.US_ASCII, StandardOpenOption.CREATE,
              StandardOpenOption.APPEND);
        }
      }
      for (String name : c.clientPorts.keySet()) {
        Poll.until("etcd " + name + " healthy", START, Duration.ofMillis(200), () -> {
          if (!c.members.get(name).isAlive()) {
            throw new Poll.Abort("etcd " + name + " exited:\n" + c.logTail(name));
          }
          try {
            return c.call(name, "GET", "/health", null).path("health").asText().equals("true");
          } catch (IOException notYet) {
            return false;
          }
        });
      }
      return c;
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** The member that leads now (by {@code /v3/maintenance/status}). */
  String leader() {
    return Poll.forValue("an etcd leader", START, () -> {
      for (String name : clientPorts.keySet()) {
        try {
          JsonNode s = call(name, "POST", "/v3/maintenance/status", "{}");
          if (s.path("leader").asText().equals(s.path("header").path("member_id").asText())) {
            return name;
          }
        } catch (IOException unreachable) {
          continue; // ask the next member
        }
      }
      return null;
    });
  }

  /** The highest Raft term any member reports: its growth counts etcd's elections. */
  long term() {
    long term = 0;
    for (String name : clientPorts.keySet()) {
      try {
        term = Math.max(term, call(name, "POST", "/v3/maintenance/status", "{}").path("raftTerm").asLong());
      } catch (IOException unreachable) {
        continue; // the others answer
      }
    }
    return term;
  }

  String url(String member) {
    return "http://127.0.0.1:" + clientPorts.get(member);
  }

  Map<String, Long> pids() {
    Map<String, Long> pids = new LinkedHashMap<>();
    members.forEach((n, p) -> pids.put("etcd-" + n, p.pid()));
    return pids;
  }

  /** Writes keys {@code key(0..n-1)} with {@code value}, {@value #TXN_OPS} puts per transaction. */
  void load(List<String> keys, byte[] value) throws IOException {
    Base64.Encoder b64 = Base64.getEncoder();
    String v = b64.encodeToString(value);
    String member = leader();
    for (int from = 0; from < keys.size(); from += TXN_OPS) {
      StringBuilder body = new StringBuilder("{\"success\":[");
      for (int i = from; i < Math.min(keys.size(), from + TXN_OPS); i++) {
        body.append(i == from ? "" : ",").append("{\"requestPut\":{\"key\":\"")
            .append(b64.encodeToString(keys.get(i).getBytes(StandardCharsets.UTF_8))).append("\",\"value\":\"")
            .append(v).append("\"}}");
      }
      JsonNode r = call(member, "POST", "/v3/kv/txn", body.append("]}").toString());
      if (!r.path("succeeded").asBoolean()) {
        throw new IllegalStateException("etcd txn failed: " + r);
      }
    }
  }

  private JsonNode call(String member, String method, String path, String body) throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(member) + path)).timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IOException(method + " " + path + " on etcd " + member + " -> " + r.statusCode() + " " + r.body());
      }
      return JSON.readTree(r.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private String logTail(String member) {
    try {
      List<String> lines = Files.readAllLines(dir.resolve(member + ".log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** SIGTERM, SIGKILL after 5 s (a leader may not exit on SIGTERM while followers are going), then the data is deleted. */
  @Override
  public void close() {
    members.values().forEach(Process::destroy);
    for (Process p : members.values()) {
      try {
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete etcd's data in " + dir, e);
    }
  }
}
