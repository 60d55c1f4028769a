package io.kvpipe.testsupport.ratis;

import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.Ports;
import io.kvpipe.testsupport.process.JavaProcess;
import io.kvpipe.testsupport.tls.TestTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.util.TimeDuration;

/**
 * kv-node processes (child JVMs, so tests can {@code kill -9} them) on free loopback ports, hosting the given groups,
 * with data dirs and logs under a base directory. The main class is passed by name so this module needs no kv-node
 * dependency; the child class path is the test JVM's. Not thread-safe: one test drives it.
 */
public final class KvNodeCluster implements AutoCloseable {
  private final Map<String, Integer> ports = new LinkedHashMap<>();
  /** Each node's address: 127.0.0.1 unless the builder gave one (a node in its own network namespace). */
  private final Map<String, String> hosts = new LinkedHashMap<>();
  private final Map<String, Integer> metricsPorts = new LinkedHashMap<>();
  private final Map<String, JavaProcess> processes = new LinkedHashMap<>();
  private final Map<String, RaftGroupId> groups;
  private final Map<String, RaftClient> infoClients = new LinkedHashMap<>();
  private final Builder builder;

  private KvNodeCluster(Builder b) {
    this.builder = b;
    this.groups = new LinkedHashMap<>(b.groups);
    for (int i = 1; i <= b.nodes; i++) {
      ports.put("n" + i, Ports.freePort());
      hosts.put("n" + i, b.hosts.apply("n" + i));
    }
    for (String id : ports.keySet()) {
      List<String> args = new ArrayList<>(List.of("--id", id, "--listen", address(id),
          "--data-dir", b.baseDir.resolve(id).toString()));
      args.addAll(List.of(b.tls.flags()));
      if (b.metricsPorts) {
        metricsPorts.put(id, Ports.freePort());
        args.addAll(List.of("--metrics-port", Integer.toString(metricsPorts.get(id))));
      } else {
        // Off unless asked: the default (Raft port + 100) is not reserved by Ports, so it could clash.
        args.addAll(List.of("--metrics-port", "0"));
      }
      for (String g : b.groups.keySet()) {
        args.add("--group");
        args.add(g + "=" + peersSpec());
      }
      args.addAll(b.extraArgs);
      args.addAll(b.nodeArgs.getOrDefault(id, List.of()));
      processes.put(id, newProcess(id, args));
    }
  }

  private JavaProcess newProcess(String id, List<String> args) {
    JavaProcess.Builder process = JavaProcess.builder(builder.mainClass);
    if (builder.jvmArgs != null) {
      process.jvmArgs(builder.jvmArgs.toArray(String[]::new));
    }
    if (builder.classPath != null) {
      process.classPath(builder.classPath);
    }
    process.env("KVPIPE_LOG_LEVEL", "INFO");
    builder.env.forEach(process::env);
    return process.args(args).logFile(builder.baseDir.resolve(id + ".log"))
        .launcher(builder.launcher.apply(id)).build();
  }

  /**
   * Starts one more node on a free port with its own data dir, hosting no group from flags: {@code args} say what it
   * does (e.g. {@code --meta-peers ...} to follow the topology). The builder's extra arguments are not applied.
   * Waits until it listens.
   */
  public void addNode(String nodeId, List<String> args, Duration timeout) {
    launchNode(nodeId, args);
    awaitListening(nodeId, timeout);
  }

  /**
   * As {@link #addNode} without waiting: the node's JVM starts while the caller starts others; {@link #restartWait}
   * then waits until it listens and is ready.
   */
  public void launchNode(String nodeId, List<String> args) {
    if (ports.containsKey(nodeId)) {
      throw new IllegalArgumentException("node " + nodeId + " exists already");
    }
    ports.put(nodeId, Ports.freePort());
    hosts.put(nodeId, builder.hosts.apply(nodeId));
    List<String> all = new ArrayList<>(List.of("--id", nodeId, "--listen", address(nodeId),
        "--data-dir", builder.baseDir.resolve(nodeId).toString()));
    all.addAll(List.of(builder.tls.flags()));
    all.addAll(List.of("--metrics-port", "0")); // args may give one (the last wins)
    all.addAll(args);
    processes.put(nodeId, newProcess(nodeId, all));
    closeInfoClients(); // they know the old peer set only
    processes.get(nodeId).start();
  }

  /** One node in kv-node/kv-client text form: {@code n4@127.0.0.1:p4}. */
  public String peerSpec(String nodeId) {
    if (!ports.containsKey(nodeId)) {
      throw new IllegalArgumentException("unknown node " + nodeId);
    }
    return nodeId + "@" + address(nodeId);
  }

  private String address(String nodeId) {
    return hosts.get(nodeId) + ":" + ports.get(nodeId);
  }

  /** Makes a group created at runtime known to {@link #leader}, {@link #hosts} and friends. */
  public void trackGroup(String name, RaftGroupId id) {
    groups.put(name, id);
  }

  /** Whether the node answers for the group (a live replica there); false if it is down or does not host it. */
  public boolean hosts(String nodeId, String group) {
    if (!processes.get(nodeId).isAlive()) {
      return false;
    }
    try {
      return infoClient(group).getGroupManagementApi(RaftPeerId.valueOf(nodeId)).info(groups.get(group)).isSuccess();
    } catch (IOException | RuntimeException notHosted) {
      // GroupMismatchException (not hosted), unreachable, or a gRPC deadline: either way it does not serve the group.
      return false;
    }
  }

  /** Asks the group's current leader to hand leadership to {@code nodeId}; true once it leads. */
  public boolean transferLeadership(String group, String nodeId, Duration timeout) {
    try {
      return infoClient(group).admin().transferLeadership(RaftPeerId.valueOf(nodeId), timeout.toMillis()).isSuccess();
    } catch (IOException | RuntimeException e) {
      // No leader yet, or the transfer timed out: the caller polls again.
      return false;
    }
  }

  /** The TLS files the nodes use; a client needs a certificate from the same CA. */
  public TestTls.Files tls() {
    return builder.tls;
  }

  /** The node's data dir (for checking what it keeps on disk). */
  public Path dataDir(String nodeId) {
    return builder.baseDir.resolve(nodeId);
  }

  public static Builder builder(String mainClass, Path baseDir) {
    return new Builder(mainClass, baseDir);
  }

  public static final class Builder {
    private final String mainClass;
    private final Path baseDir;
    private int nodes = 3;
    private final Map<String, RaftGroupId> groups = new LinkedHashMap<>();
    private final List<String> extraArgs = new ArrayList<>();
    private final Map<String, List<String>> nodeArgs = new LinkedHashMap<>();
    private List<String> jvmArgs;
    private String classPath;
    private final Map<String, String> env = new LinkedHashMap<>();
    private boolean metricsPorts;
    private TestTls.Files tls = TestTls.cluster();
    private java.util.function.Function<String, String> hosts = id -> "127.0.0.1";
    private java.util.function.Function<String, List<String>> launcher = id -> List.of();

    private Builder(String mainClass, Path baseDir) {
      this.mainClass = mainClass;
      this.baseDir = baseDir;
    }

    public Builder nodes(int n) {
      this.nodes = n;
      return this;
    }

    /** A group every node hosts, by name and the Raft group id that name maps to. */
    public Builder group(String name, RaftGroupId id) {
      groups.put(name, id);
      return this;
    }

    /** Extra kv-node flags for every node, e.g. {@code "--snapshot-threshold", "100"}. */
    public Builder args(String... a) {
      extraArgs.addAll(List.of(a));
      return this;
    }

    /** Extra kv-node flags for one node only (after those of {@link #args}), e.g. to configure one node differently. */
    public Builder nodeArgs(String nodeId, String... a) {
      nodeArgs.computeIfAbsent(nodeId, k -> new ArrayList<>()).addAll(List.of(a));
      return this;
    }

    /** An environment variable for every node (after the default KVPIPE_LOG_LEVEL=INFO), e.g. KVPIPE_OP_LOG. */
    public Builder env(String key, String value) {
      env.put(key, value);
      return this;
    }

    /** Replaces JavaProcess's light default JVM options, e.g. a full JIT and a larger heap for benchmarks. */
    public Builder jvmArgs(List<String> a) {
      this.jvmArgs = List.copyOf(a);
      return this;
    }

    /**
     * The nodes' class path instead of this JVM's, e.g. the one the image ships a kv-node with (a benchmark measuring
     * memory: libraries only the tests carry change what a node loads).
     */
    public Builder classPath(String cp) {
      this.classPath = cp;
      return this;
    }

    /** Gives each node its own free {@code --metrics-port} (Prometheus {@code /metrics}; see {@link #metricsPort}). */
    public Builder metricsPorts() {
      this.metricsPorts = true;
      return this;
    }

    /** The nodes' mutual-TLS identity (default: the JVM's test cluster CA, as every fixture's clients use). */
    public Builder tls(TestTls.Files t) {
      this.tls = t;
      return this;
    }

    /**
     * Where each node runs (nodes added later too): its address, and a launcher command for its JVM (e.g. {@code ip
     * netns exec <ns>} with the namespace's address), instead of 127.0.0.1 in this network namespace.
     */
    public Builder network(java.util.function.Function<String, String> host,
                           java.util.function.Function<String, List<String>> launcherCommand) {
      this.hosts = host;
      this.launcher = launcherCommand;
      return this;
    }

    /**
     * Starts every node and waits until each listens. If one does not in time, every node is stopped before the
     * failure is thrown: the caller gets no cluster to close, and nodes left running would load the machine (and
     * elect among themselves) through every later test of the JVM.
     */
    public KvNodeCluster start(Duration timeout) {
      KvNodeCluster c = new KvNodeCluster(this);
      try {
        c.processes.keySet().forEach(id -> c.processes.get(id).start());
        c.processes.keySet().forEach(id -> c.awaitListening(id, timeout));
      } catch (RuntimeException | Error e) {
        try {
          c.close();
        } catch (RuntimeException | Error closing) {
          e.addSuppressed(closing);
        }
        throw e;
      }
      return c;
    }
  }

  /** The peer list in kv-node/kv-client text form: {@code n1@127.0.0.1:p1,n2@...}. */
  public String peersSpec() {
    List<String> parts = new ArrayList<>();
    ports.keySet().forEach(id -> parts.add(id + "@" + address(id)));
    return String.join(",", parts);
  }

  /** The node's metrics port, if the cluster was built with {@link Builder#metricsPorts()}. */
  public int metricsPort(String nodeId) {
    Integer port = metricsPorts.get(nodeId);
    if (port == null) {
      throw new IllegalArgumentException("node " + nodeId + " has no metrics port (build with metricsPorts())");
    }
    return port;
  }

  public List<String> nodeIds() {
    return List.copyOf(ports.keySet());
  }

  /** Every node's log file, for {@link io.kvpipe.testsupport.process.ChildLogsOnFailure}. */
  public List<java.nio.file.Path> logFiles() {
    return processes.values().stream().map(JavaProcess::logFile).toList();
  }

  /** Every node's process, in node order (e.g. for {@link io.kvpipe.testsupport.process.ChildLogsOnFailure#ofProcesses}). */
  public List<JavaProcess> processes() {
    return List.copyOf(processes.values());
  }

  /**
   * Ends a wait at once, saying how, if the node's process ended without the test asking (a crash, an OOM kill, a
   * System.exit): a condition on a node that died never becomes true, and "timed out waiting for n3 hosts g3" alone
   * does not tell a dead node from a live one that did not converge.
   */
  public void abortIfDied(String nodeId) {
    JavaProcess p = processes.get(nodeId);
    if (p != null && p.exitedUnasked()) {
      throw new Poll.Abort(nodeId + " " + p.describe() + "; its log ends:\n" + p.logTail(40));
    }
  }

  public JavaProcess process(String nodeId) {
    return processes.get(nodeId);
  }

  public void kill9(String nodeId) {
    processes.get(nodeId).kill9();
  }

  /** SIGTERM (clean shutdown), SIGKILL after the grace period. */
  public void stop(String nodeId, Duration grace) {
    processes.get(nodeId).stop(grace);
  }

  /** Starts a stopped or killed node again (same data dir) and waits until it listens. */
  public void restart(String nodeId, Duration timeout) {
    processes.get(nodeId).start();
    awaitListening(nodeId, timeout);
  }

  /** Waits until a node started with {@code process(id).start()} listens (to start several nodes at once). */
  public void restartWait(String nodeId, Duration timeout) {
    awaitListening(nodeId, timeout);
  }

  /**
   * Waits until the node listens and says it is ready (kv-node prints "kv-node &lt;id&gt; ready" once its start has
   * finished). The port alone is not enough: kv-node binds it early in its start, and a start that fails after that
   * (or a port some other process took first) would pass for a running node that then dies or never was, and every
   * later step of the test would fail for a reason it cannot see.
   */
  private void awaitListening(String nodeId, Duration timeout) {
    JavaProcess p = processes.get(nodeId);
    String ready = READY_LINE.formatted(nodeId);
    Poll.until(nodeId + " listening on " + ports.get(nodeId) + " and ready", timeout, Duration.ofMillis(100), () -> {
      if (!p.isAlive()) {
        throw new Poll.Abort(nodeId + " " + p.describe() + ":\n" + p.logTail(40));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(hosts.get(nodeId), ports.get(nodeId)), 200);
      } catch (IOException notYet) {
        return false;
      }
      return p.logSinceStart().contains(ready);
    });
  }

  /** What KvNodeMain prints once its node has started. */
  static final String READY_LINE = "kv-node %s ready";

  /** The node that says it leads the group (asking each live node), if any. */
  public Optional<String> leader(String group) {
    RaftClient client = infoClient(group);
    for (String id : ports.keySet()) {
      if (!processes.get(id).isAlive()) {
        continue;
      }
      try {
        GroupInfoReply info = client.getGroupManagementApi(RaftPeerId.valueOf(id)).info(groups.get(group));
        if (info.isSuccess() && info.getRoleInfoProto().getRole() == RaftPeerRole.LEADER) {
          return Optional.of(id);
        }
      } catch (IOException unreachable) {
        // Down or still starting: cannot be the leader we are looking for.
        continue;
      }
    }
    return Optional.empty();
  }

  /**
   * The current term of the group as its leader reports it, waiting up to {@code timeout} for a leader. Each election
   * that gets as far as a vote raises the term, so the difference between two readings counts elections in between.
   */
  public long leaderTerm(String group, Duration timeout) {
    return Poll.forValue("the term of " + group + "'s leader", timeout, () -> {
      String leader = leader(group).orElse(null);
      if (leader == null) {
        return null;
      }
      try {
        GroupInfoReply info = infoClient(group).getGroupManagementApi(RaftPeerId.valueOf(leader)).info(groups.get(group));
        return info.isSuccess() && info.getRoleInfoProto().getRole() == RaftPeerRole.LEADER
            ? info.getRoleInfoProto().getLeaderInfo().getTerm() : null;
      } catch (IOException leaderJustChanged) {
        return null; // asked again on the next poll
      }
    });
  }

  public String awaitLeader(String group, Duration timeout) {
    return Poll.forValue("a leader of " + group, timeout, () -> leader(group).orElse(null));
  }

  /**
   * A leader of the group that every other live node follows and has caught up with: each reports it as the leader
   * it heard from, and the leader reports every live node's commit index equal to its own. A node that has only just
   * won its election leads before its first AppendEntries reaches the others, and their first appends of its term may
   * still be under way; a test that kills it then tests an election among followers that never knew it or were busy
   * appending, not the failover of a settled group.
   */
  public String awaitSettledLeader(String group, Duration timeout) {
    return Poll.forValue("a leader of " + group + " that every other live node follows and has caught up with",
        timeout, () -> {
          String leader = leader(group).orElse(null);
          if (leader == null) {
            return null;
          }
          try {
            GroupInfoReply leaderInfo = infoClient(group).getGroupManagementApi(RaftPeerId.valueOf(leader))
                .info(groups.get(group));
            if (!leaderInfo.isSuccess()) {
              return null;
            }
            Map<String, Long> commits = new LinkedHashMap<>();
            leaderInfo.getCommitInfos().forEach(c -> commits.put(c.getServer().getId().toStringUtf8(),
                c.getCommitIndex()));
            Long leaderCommit = commits.get(leader);
            if (leaderCommit == null || leaderCommit < 0) {
              return null;
            }
            for (String id : ports.keySet()) {
              if (id.equals(leader) || !processes.get(id).isAlive()) {
                continue;
              }
              GroupInfoReply info = infoClient(group).getGroupManagementApi(RaftPeerId.valueOf(id))
                  .info(groups.get(group));
              if (!info.isSuccess() || info.getRoleInfoProto().getRole() != RaftPeerRole.FOLLOWER
                  || !info.getRoleInfoProto().getFollowerInfo().getLeaderInfo().getId().getId().toStringUtf8()
                      .equals(leader)
                  || !leaderCommit.equals(commits.get(id))) {
                return null;
              }
            }
          } catch (IOException unreachable) {
            return null; // asked again on the next poll
          }
          return leader;
        });
  }

  private RaftClient infoClient(String group) {
    return infoClients.computeIfAbsent(group, g -> {
      RaftProperties props = new RaftProperties();
      RaftConfigKeys.Rpc.setType(props, SupportedRpcType.GRPC);
      RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(1, TimeUnit.SECONDS));
      List<RaftPeer> peers = new ArrayList<>();
      ports.keySet().forEach(id -> peers.add(RaftPeer.newBuilder().setId(id).setAddress(address(id)).build()));
      return RaftClient.newBuilder().setProperties(props).setParameters(builder.tls.parameters())
          .setRaftGroup(RaftGroup.valueOf(groups.get(g), peers)).setRetryPolicy(RetryPolicies.noRetry()).build();
    });
  }

  private void closeInfoClients() {
    for (RaftClient c : infoClients.values()) {
      try {
        c.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    infoClients.clear();
  }

  @Override
  public void close() {
    closeInfoClients();
    // Every node is asked at once, then each gets its grace: a clean stop each, in the time of the slowest.
    processes.values().forEach(JavaProcess::askStop);
    processes.values().forEach(p -> p.stop(Duration.ofSeconds(5)));
  }
}
