package io.kvpipe.testsupport.ratis;

import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.Ports;
import io.kvpipe.testsupport.tls.TestTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.statemachine.StateMachine;

/**
 * N Ratis servers in this JVM on free loopback ports (gRPC), each hosting a replica of the given groups, with data
 * directories under a base directory. Generic over the state machine: the caller supplies one per (peer, group).
 * Peers can be stopped and restarted from their data directories. Not thread-safe: one test drives it.
 */
public final class RatisCluster implements AutoCloseable {
  private final Path baseDir;
  private final List<RaftGroupId> groupIds;
  private final BiFunction<String, RaftGroupId, StateMachine> stateMachines;
  private final Consumer<RaftProperties> tuning;
  private final TestTls.Files tls;
  private final UnaryOperator<Parameters> parameters;
  private final Map<String, RaftPeer> peers = new LinkedHashMap<>();
  private final Map<String, RaftServer> running = new LinkedHashMap<>();
  private final AtomicLong callIds = new AtomicLong();

  private RatisCluster(Builder b) {
    this.baseDir = b.baseDir;
    this.groupIds = List.copyOf(b.groups);
    this.stateMachines = b.stateMachines;
    this.tuning = b.tuning;
    this.tls = b.tls;
    this.parameters = b.parameters;
    for (int i = 1; i <= b.peers; i++) {
      String id = "p" + i;
      peers.put(id, RaftPeer.newBuilder().setId(id).setAddress("127.0.0.1:" + Ports.freePort()).build());
    }
  }

  public static Builder builder(Path baseDir) {
    return new Builder(baseDir);
  }

  public static final class Builder {
    private final Path baseDir;
    private int peers = 3;
    private final List<RaftGroupId> groups = new ArrayList<>();
    private BiFunction<String, RaftGroupId, StateMachine> stateMachines;
    private Consumer<RaftProperties> tuning = p -> { };
    private TestTls.Files tls = TestTls.cluster();
    private UnaryOperator<Parameters> parameters = UnaryOperator.identity();

    private Builder(Path baseDir) {
      this.baseDir = baseDir;
    }

    public Builder peers(int n) {
      this.peers = n;
      return this;
    }

    public Builder group(RaftGroupId id) {
      groups.add(id);
      return this;
    }

    /** A new state machine for (peer id, group); called on every (re)start of a replica. */
    public Builder stateMachines(BiFunction<String, RaftGroupId, StateMachine> factory) {
      this.stateMachines = factory;
      return this;
    }

    /** Adjusts each server's properties (after the cluster set transport, storage dir and port). */
    public Builder properties(Consumer<RaftProperties> t) {
      this.tuning = t;
      return this;
    }

    /**
     * Adjusts each server's parameters (after the cluster set its TLS), e.g. to run the gRPC services as a kv-node
     * runs them.
     */
    public Builder parameters(UnaryOperator<Parameters> p) {
      this.parameters = p;
      return this;
    }

    /** The peers' mutual-TLS identity (default: the JVM's test cluster CA, as every fixture's clients use). */
    public Builder tls(TestTls.Files t) {
      this.tls = t;
      return this;
    }

    /** Starts every peer and creates the groups. */
    public RatisCluster start() {
      if (groups.isEmpty() || stateMachines == null) {
        throw new IllegalStateException("a cluster needs at least one group and a state machine factory");
      }
      RatisCluster c = new RatisCluster(this);
      for (String id : c.peers.keySet()) {
        c.startPeer(id);
      }
      return c;
    }
  }

  public List<RaftPeer> peers() {
    return List.copyOf(peers.values());
  }

  /** The TLS files the peers use; a client needs a certificate from the same CA. */
  public TestTls.Files tls() {
    return tls;
  }

  public List<String> peerIds() {
    return List.copyOf(peers.keySet());
  }

  public RaftGroup group(RaftGroupId id) {
    return RaftGroup.valueOf(id, peers.values());
  }

  public Path dataDir(String peerId) {
    return baseDir.resolve(peerId);
  }

  public RaftServer server(String peerId) {
    RaftServer s = running.get(peerId);
    if (s == null) {
      throw new IllegalStateException("peer " + peerId + " is not running");
    }
    return s;
  }

  public boolean isRunning(String peerId) {
    return running.containsKey(peerId);
  }

  static {
    // Ratis ends the JVM when a server cannot bind its port; in a test JVM that kills every test. Made an exception.
    org.apache.ratis.util.ExitUtils.disableSystemExit();
  }

  /**
   * Starts (or restarts, recovering from its data dir) one peer and makes sure it hosts every group. A restart on the
   * same port waits until the stopped server's gRPC socket is really released (closing returns before that).
   */
  public void startPeer(String peerId) {
    if (running.containsKey(peerId)) {
      throw new IllegalStateException("peer " + peerId + " is already running");
    }
    RaftPeer peer = peers.get(peerId);
    int port = Integer.parseInt(peer.getAddress().substring(peer.getAddress().lastIndexOf(':') + 1));
    Poll.until("port " + port + " of peer " + peerId + " to be free", Duration.ofSeconds(30), Duration.ofMillis(50),
        () -> canBind(port));
    RaftProperties props = new RaftProperties();
    RaftConfigKeys.Rpc.setType(props, SupportedRpcType.GRPC);
    RaftServerConfigKeys.setStorageDir(props, List.of(dataDir(peerId).toFile()));
    GrpcConfigKeys.Server.setHost(props, "127.0.0.1");
    GrpcConfigKeys.Server.setPort(props, Integer.parseInt(peer.getAddress().substring(
        peer.getAddress().lastIndexOf(':') + 1)));
    tuning.accept(props);
    try {
      RaftServer server = RaftServer.newBuilder()
          .setServerId(RaftPeerId.valueOf(peerId))
          .setProperties(props)
          .setParameters(parameters.apply(tls.parameters()))
          .setStateMachineRegistry(gid -> stateMachines.apply(peerId, gid))
          .build();
      server.start();
      running.put(peerId, server);
      Set<RaftGroupId> hosted = new HashSet<>();
      server.getGroupIds().forEach(hosted::add);
      for (RaftGroupId gid : groupIds) {
        if (!hosted.contains(gid)) {
          RaftClientReply reply = server.groupManagement(GroupManagementRequest.newAdd(ClientId.randomId(),
              server.getId(), callIds.incrementAndGet(), group(gid), true));
          if (!reply.isSuccess()) {
            throw new IOException("peer " + peerId + " cannot add group " + gid + ": " + reply.getException());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start peer " + peerId, e);
    }
  }

  private static boolean canBind(int port) {
    try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new java.net.InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (IOException inUse) {
      return false;
    }
  }

  /** Closes one peer's server (its data dir stays, so {@link #startPeer} recovers it). */
  public void stopPeer(String peerId) {
    RaftServer s = running.remove(peerId);
    if (s == null) {
      return;
    }
    try {
      s.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stop peer " + peerId, e);
    }
  }

  /** The running peer that leads {@code gid} and is ready to serve, if any. */
  public Optional<String> leader(RaftGroupId gid) {
    for (Map.Entry<String, RaftServer> e : running.entrySet()) {
      try {
        if (e.getValue().getDivision(gid).getInfo().isLeaderReady()) {
          return Optional.of(e.getKey());
        }
      } catch (IOException notHosted) {
        // The peer does not (yet) host the group: it cannot be the leader.
        continue;
      }
    }
    return Optional.empty();
  }

  public String awaitLeader(RaftGroupId gid, Duration timeout) {
    return Poll.forValue("a ready leader of " + gid, timeout, () -> leader(gid).orElse(null));
  }

  /** The state machine of one running replica, for assertions on replica state. */
  /** A step that may throw (a write through a test's own client). */
  @FunctionalInterface
  public interface Step {
    void run() throws Exception;
  }

  /**
   * Runs {@code writeOne} (one more entry in {@code gid}) until every peer's latest snapshot of {@code gid} covers
   * {@code index}: a snapshot is reported once written, at a later apply, so the writes go on until it is.
   */
  public void writeUntilSnapshotsCover(RaftGroupId gid, long index, Duration timeout, Step writeOne) {
    Poll.until("snapshots of " + gid + " covering log index " + index + " on every peer", timeout,
        Duration.ofMillis(20), () -> {
          try {
            writeOne.run();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
          return peerIds().stream().allMatch(p -> {
            var latest = stateMachine(p, gid).getLatestSnapshot();
            return latest != null && latest.getIndex() >= index;
          });
        });
  }

  public StateMachine stateMachine(String peerId, RaftGroupId gid) {
    try {
      return server(peerId).getDivision(gid).getStateMachine();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    RuntimeException first = null;
    for (String id : List.copyOf(running.keySet())) {
      try {
        stopPeer(id);
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
